#pragma once
// ResNet-110 with stochastic depth (Huang et al., ECCV 2016) as the authors' code builds it: He
// et al.'s CIFAR ResNet (a 3x3 convolution to 16 channels, BN, ReLU; three stages of 18 basic
// blocks conv3x3-BN-ReLU-conv3x3-BN of 16, 32 and 64 channels; the shortcut where the shape
// changes is a stride-2 subsampling with zero channels appended, no parameters), each block's
// residual kept with a survival probability falling linearly from 1 to 0.5 at the last block
// (StochasticDepth, expected-value scaling at test time), then ReLU after the addition; global
// average pooling, softmax. 1.7M parameters in the paper.
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::Model make_stochastic_depth_resnet(std::int64_t classes, int depth, float final_survival, float l2) {
  using namespace keras::layers;
  if (depth < 8 || (depth - 2) % 6 != 0) {
    throw keras::ValueError("ResNet depth must be 6n + 2 (20, 56, 110, ...), got " + std::to_string(depth));
  }
  const int blocks = (depth - 2) / 6, total = 3 * blocks;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto conv = [&](const KerasTensor& x, std::int64_t filters, std::int64_t stride) {
    return Conv2D(filters, 3, {.strides = stride, .padding = "same", .use_bias = false, .kernel_initializer = "he_normal",
                               .kernel_regularizer = decay})(x);
  };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = Activation("relu")(BatchNormalization()(conv(inputs, 16, 1)));
  int index = 0;
  for (int stage = 0; stage < 3; ++stage) {
    const std::int64_t filters = 16LL << stage;
    for (int b = 0; b < blocks; ++b) {
      ++index;
      const std::int64_t stride = b == 0 && stage > 0 ? 2 : 1;
      KerasTensor y = Activation("relu")(BatchNormalization()(conv(x, filters, stride)));
      y = BatchNormalization()(conv(y, filters, 1));
      KerasTensor shortcut = x;
      if (stride != 1) {
        // Option A: subsample, then append as many zero channels (Rescaling by 0 keeps it saveable).
        const KerasTensor sub = AveragePooling2D(1, {.strides = 2})(x);
        shortcut = Concatenate()({sub, Rescaling(0.0f)(sub)});
      }
      const float rate = (1.0f - final_survival) * static_cast<float>(index) / static_cast<float>(total);
      x = Activation("relu")(StochasticDepth(rate)({shortcut, y}));
    }
  }
  x = GlobalAveragePooling2D()(x);
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "resnet" + std::to_string(depth) + "_stochastic_depth");
}

}  // namespace apps::zoo
