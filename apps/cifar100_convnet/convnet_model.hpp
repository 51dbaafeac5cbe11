#pragma once
// Seed 003's CIFAR CNN with a CIFAR-100 head: three blocks of a 3x3 "valid" Conv2D (32, 64,
// 128 filters, relu) and a 2x2 max-pool, then Dense 256, 128 (relu) and a softmax over the
// classes. 270,372 parameters for 100 classes.
#include "keras/keras.hpp"

namespace apps {

inline keras::Sequential make_convnet(std::int64_t classes = 100) {
  using namespace keras::layers;
  return keras::Sequential({
      Input({32, 32, 3}),
      Conv2D(32, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
      Conv2D(64, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
      Conv2D(128, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
      Flatten(),
      Dense(256, {.activation = "relu"}),
      Dense(128, {.activation = "relu"}),
      Dense(classes, {.activation = "softmax"}),
  });
}

}  // namespace apps
