#pragma once
// DenseNet-BC (Huang et al., CVPR 2017) for CIFAR as the authors' code builds it: a 3x3
// convolution to 2k channels; three dense blocks of (L - 4) / 6 bottleneck layers
// (BN-ReLU-conv1x1 to 4k, BN-ReLU-conv3x3 to k, concatenated onto the input); between blocks a
// transition (BN-ReLU-conv1x1 halving the channels, 2x2 average pooling); BN-ReLU, global
// average pooling, softmax. No biases; weight decay as an L2 penalty on every kernel.
// L = 100, k = 12: 0.8M parameters in the paper.
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::Model make_densenet_bc(std::int64_t classes, int depth, int growth, float l2) {
  using namespace keras::layers;
  if (depth < 10 || (depth - 4) % 6 != 0) {
    throw keras::ValueError("DenseNet-BC depth must be 6n + 4 (40, 100, 190, ...), got " + std::to_string(depth));
  }
  const int layers_per_block = (depth - 4) / 6;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto conv = [&](const KerasTensor& x, std::int64_t filters, std::int64_t kernel) {
    return Conv2D(filters, kernel, {.padding = "same", .use_bias = false, .kernel_initializer = "he_normal",
                                    .kernel_regularizer = decay})(x);
  };
  auto bn_relu = [](const KerasTensor& x) { return Activation("relu")(BatchNormalization({.epsilon = 1e-5f})(x)); };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = conv(inputs, 2 * growth, 3);
  for (int block = 0; block < 3; ++block) {
    for (int l = 0; l < layers_per_block; ++l) {
      KerasTensor y = conv(bn_relu(x), 4 * growth, 1);
      y = conv(bn_relu(y), growth, 3);
      x = Concatenate()({x, y});
    }
    if (block < 2) {
      x = conv(bn_relu(x), x.shape()[-1] / 2, 1);
      x = AveragePooling2D(2)(x);
    }
  }
  x = GlobalAveragePooling2D()(bn_relu(x));
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "densenet_bc_" + std::to_string(depth) + "_" + std::to_string(growth));
}

}  // namespace apps::zoo
