#pragma once
// MobileNet (Howard et al., 2017) for CIFAR. The paper defines only the ImageNet network; this is
// the CIFAR version of kuangliu/pytorch-cifar (models/mobilenet.py), the reference named in
// docs/models.md: the paper's 13 depthwise-separable blocks (depthwise 3x3-BN-ReLU, pointwise
// 1x1-BN-ReLU) on a stride-1 3x3 stem of 32 channels, so the 32x32 input ends at 2x2; global
// average pooling and a softmax. Keras' "same" padding where strided (the reference pads 1 on
// every side: the same parameters, a one-pixel different alignment). No biases; weight decay as
// an L2 penalty on every kernel. 3,309,476 trainable parameters for 100 classes (the reference's
// count for the same head).
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::Model make_mobilenet_cifar(std::int64_t classes, float l2) {
  using namespace keras::layers;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto bn_relu = [](const KerasTensor& x) { return Activation("relu")(BatchNormalization()(x)); };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = bn_relu(Conv2D(32, 3, {.padding = "same", .use_bias = false, .kernel_initializer = "he_normal",
                                         .kernel_regularizer = decay})(inputs));
  const struct {
    std::int64_t filters, stride;
  } blocks[] = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  for (const auto& b : blocks) {
    x = bn_relu(DepthwiseConv2D(3, {.strides = b.stride, .padding = "same", .use_bias = false,
                                    .depthwise_initializer = "he_normal", .depthwise_regularizer = decay})(x));
    x = bn_relu(Conv2D(b.filters, 1, {.use_bias = false, .kernel_initializer = "he_normal", .kernel_regularizer = decay})(x));
  }
  x = GlobalAveragePooling2D()(x);
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "mobilenet_cifar");
}

}  // namespace apps::zoo
