#pragma once
// A ResNet-18 for 32x32 inputs, as the common CIFAR reimplementations build it (He et al.'s
// ImageNet ResNet-18 with a 3x3 stride-1 stem and no max pooling): Conv 64 -> BN -> ReLU; four
// stages of two basic blocks (64, 128, 256, 512 filters, stride 2 entering stages 2-4; a 1x1
// convolution + BN shortcut where the shape changes, else the identity); global average
// pooling; Dense softmax: 11.2 million parameters for 100 classes. bench/pytorch_seed_models.py
// builds the same network.
#include "keras/keras.hpp"

namespace bench_models {

inline keras::layers::KerasTensor basic_block(const keras::layers::KerasTensor& x, std::int64_t in_filters,
                                              std::int64_t filters, std::int64_t stride) {
  using namespace keras::layers;
  KerasTensor y = Conv2D(filters, 3, {.strides = stride, .padding = "same", .use_bias = false})(x);
  y = BatchNormalization()(y);
  y = Activation("relu")(y);
  y = Conv2D(filters, 3, {.padding = "same", .use_bias = false})(y);
  y = BatchNormalization()(y);
  KerasTensor shortcut = x;
  if (stride != 1 || in_filters != filters) {
    shortcut = Conv2D(filters, 1, {.strides = stride, .use_bias = false})(x);
    shortcut = BatchNormalization()(shortcut);
  }
  return Activation("relu")(Add()({y, shortcut}));
}

inline keras::Model make_resnet18_cifar(std::int64_t classes = 100) {
  using namespace keras::layers;
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = Conv2D(64, 3, {.padding = "same", .use_bias = false})(inputs);
  x = BatchNormalization()(x);
  x = Activation("relu")(x);
  std::int64_t filters = 64;
  for (int stage = 0; stage < 4; ++stage) {
    const std::int64_t out = 64 << stage;
    for (int block = 0; block < 2; ++block) {
      x = basic_block(x, filters, out, stage > 0 && block == 0 ? 2 : 1);
      filters = out;
    }
  }
  x = GlobalAveragePooling2D()(x);
  return keras::Model(inputs, Dense(classes, {.activation = "softmax"})(x), "resnet18_cifar");
}

}  // namespace bench_models
