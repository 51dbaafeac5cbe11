#pragma once
// Wide Residual Networks (Zagoruyko and Komodakis, BMVC 2016), WRN-d-k for CIFAR as the
// authors' code builds it: a 3x3 convolution to 16 channels; three groups of (d - 4) / 6
// pre-activation blocks (BN-ReLU-conv3x3-BN-ReLU-dropout-conv3x3) of 16k, 32k and 64k channels,
// the first block of each group striding (1, 2, 2) with a 1x1 projection of its pre-activated
// input; BN-ReLU, global average pooling and a softmax. Convolutions have no bias; weight decay
// is an L2 penalty on every kernel. WRN-28-10: 36.5M parameters in the paper.
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::Model make_wide_resnet(std::int64_t classes, int depth, int width, float dropout, float l2) {
  using namespace keras::layers;
  if (depth < 10 || (depth - 4) % 6 != 0) {
    throw keras::ValueError("WRN depth must be 6n + 4 (10, 16, 22, 28, 40, ...), got " + std::to_string(depth));
  }
  const int blocks = (depth - 4) / 6;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto conv = [&](const KerasTensor& x, std::int64_t filters, std::int64_t kernel, std::int64_t stride) {
    return Conv2D(filters, kernel, {.strides = stride, .padding = "same", .use_bias = false,
                                    .kernel_initializer = "he_normal", .kernel_regularizer = decay})(x);
  };
  auto bn_relu = [](const KerasTensor& x) { return Activation("relu")(BatchNormalization()(x)); };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = conv(inputs, 16, 3, 1);
  for (int group = 0; group < 3; ++group) {
    const std::int64_t filters = (16LL << group) * width;
    for (int b = 0; b < blocks; ++b) {
      const std::int64_t stride = b == 0 && group > 0 ? 2 : 1;
      const KerasTensor pre = bn_relu(x);
      KerasTensor y = conv(pre, filters, 3, stride);
      y = bn_relu(y);
      if (dropout > 0.0f) y = Dropout(dropout)(y);
      y = conv(y, filters, 3, 1);
      const KerasTensor shortcut = b == 0 ? conv(pre, filters, 1, stride) : x;
      x = Add()({y, shortcut});
    }
  }
  x = GlobalAveragePooling2D()(bn_relu(x));
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "wrn_" + std::to_string(depth) + "_" + std::to_string(width));
}

}  // namespace apps::zoo
