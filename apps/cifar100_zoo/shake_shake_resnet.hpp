#pragma once
// Shake-Shake (Gastaldi, 2017), "26 2 x Nd" for CIFAR as the author's code builds it: a 3x3
// convolution to 16 channels and BN; three stages of four blocks of N, 2N and 4N channels (the
// first block of stages 2 and 3 strides 2); each block has two branches
// (ReLU-conv3x3-BN-ReLU-conv3x3-BN) mixed by the ShakeShake layer (random forward and independent
// backward coefficients per image, 0.5 at test time) and added to the shortcut, which is the
// input or, where the shape changes, ReLU then two 1x1 average-pooled paths (the second shifted by
// one pixel) with a 1x1 convolution each to half the channels, concatenated, and BN. ReLU, global
// average pooling, softmax. 26 2x32d: 2.9M parameters in the paper; 26 2x96d: 26.2M.
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::Model make_shake_shake(std::int64_t classes, int width, float l2) {
  using namespace keras::layers;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto conv = [&](const KerasTensor& x, std::int64_t filters, std::int64_t kernel, std::int64_t stride) {
    return Conv2D(filters, kernel, {.strides = stride, .padding = "same", .use_bias = false,
                                    .kernel_initializer = "he_normal", .kernel_regularizer = decay})(x);
  };
  auto branch = [&](const KerasTensor& in, std::int64_t filters, std::int64_t stride) {
    KerasTensor y = BatchNormalization()(conv(Activation("relu")(in), filters, 3, stride));
    return BatchNormalization()(conv(Activation("relu")(y), filters, 3, 1));
  };
  auto shortcut = [&](const KerasTensor& in, std::int64_t filters, std::int64_t stride) {
    if (stride == 1 && in.shape()[-1] == filters) return in;
    const KerasTensor r = Activation("relu")(in);
    const KerasTensor a = conv(AveragePooling2D(1, {.strides = stride})(r), filters / 2, 1, 1);
    KerasTensor shifted = Cropping2D(Padding2D{{1, 0}, {1, 0}})(ZeroPadding2D(Padding2D{{0, 1}, {0, 1}})(r));
    const KerasTensor b = conv(AveragePooling2D(1, {.strides = stride})(shifted), filters / 2, 1, 1);
    return BatchNormalization()(Concatenate()({a, b}));
  };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = BatchNormalization()(conv(inputs, 16, 3, 1));
  for (int stage = 0; stage < 3; ++stage) {
    const std::int64_t filters = static_cast<std::int64_t>(width) << stage;
    for (int b = 0; b < 4; ++b) {
      const std::int64_t stride = b == 0 && stage > 0 ? 2 : 1;
      const KerasTensor mixed = ShakeShake()({branch(x, filters, stride), branch(x, filters, stride)});
      x = Add()({mixed, shortcut(x, filters, stride)});
    }
  }
  x = GlobalAveragePooling2D()(Activation("relu")(x));
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "shake_shake_26_2x" + std::to_string(width) + "d");
}

}  // namespace apps::zoo
