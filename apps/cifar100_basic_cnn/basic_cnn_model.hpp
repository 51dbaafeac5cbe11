#pragma once
// Seed 001's CIFAR-100 CNN: Conv2D 32 (3x3, relu) -> MaxPooling2D 2 -> Conv2D 64 (3x3, relu)
// -> MaxPooling2D 2 -> Flatten -> Dense 256 relu -> Dropout 0.5 -> Dense softmax.
// 635,172 parameters for 100 classes.
#include "keras/keras.hpp"

namespace apps {

inline keras::Sequential make_basic_cnn(std::int64_t classes = 100) {
  using namespace keras::layers;
  return keras::Sequential({
      Input({32, 32, 3}),
      Conv2D(32, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
      Conv2D(64, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
      Flatten(),
      Dense(256, {.activation = "relu"}),
      Dropout(0.5f),
      Dense(classes, {.activation = "softmax"}),
  });
}

}  // namespace apps
