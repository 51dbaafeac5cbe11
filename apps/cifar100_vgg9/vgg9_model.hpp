#pragma once
// Seed 004's models. The final one: INPUT -> [[CONV -> RELU] x 2 -> MAX-POOL] x 3 ->
// [FC -> RELU] x 2 -> FC, 3x3 "same" convolutions of 128, 256 and 512 filters, Dense 1000,
// 1000, 100 (softmax), dropout 0.2 after the input and 0.5 after each hidden Dense:
// 13,870,484 parameters. The document's first, "5-layer network with 32, 64 and 128 filters in
// convolutional layers and 256 units in the first fully connected layer": 643,492 parameters,
// which are those of "same" 3x3 convolutions each followed by a 2x2 max-pool.
#include "keras/keras.hpp"

namespace apps {

inline keras::Sequential make_vgg9(std::int64_t classes = 100) {
  using namespace keras::layers;
  auto conv = [](std::int64_t filters) {
    return Conv2D(filters, 3, {.padding = "same", .activation = "relu"});
  };
  return keras::Sequential({
      Input({32, 32, 3}),
      Dropout(0.2f),
      conv(128), conv(128), MaxPooling2D(2),
      conv(256), conv(256), MaxPooling2D(2),
      conv(512), conv(512), MaxPooling2D(2),
      Flatten(),
      Dense(1000, {.activation = "relu"}), Dropout(0.5f),
      Dense(1000, {.activation = "relu"}), Dropout(0.5f),
      Dense(classes, {.activation = "softmax"}),
  });
}

inline keras::Sequential make_vgg9_small(std::int64_t classes = 100) {
  using namespace keras::layers;
  auto conv = [](std::int64_t filters) {
    return Conv2D(filters, 3, {.padding = "same", .activation = "relu"});
  };
  return keras::Sequential({
      Input({32, 32, 3}),
      conv(32), MaxPooling2D(2),
      conv(64), MaxPooling2D(2),
      conv(128), MaxPooling2D(2),
      Flatten(),
      Dense(256, {.activation = "relu"}),
      Dense(classes, {.activation = "softmax"}),
  });
}

}  // namespace apps
