#pragma once
// SqueezeNet (Iandola et al., 2016) for CIFAR. The paper defines only the ImageNet network; this
// is the CIFAR-100 version of weiaicunzai/pytorch-cifar100 (models/squeezenet.py), the reference
// named in docs/models.md: a stride-1 3x3 stem of 96 channels and a 2x2 max pooling, the
// paper's eight fire modules (squeeze 1x1, then 1x1 and 3x3 expands concatenated; every
// convolution followed by BN and ReLU) with the paper's "simple bypass" around fire 3, 5 and 7,
// max pooling after fire 4 and 8, a 1x1 convolution to the classes and global average pooling.
// Its convolutions keep their biases, as the reference's do. 781,156 trainable parameters for
// 100 classes (the reference's count for the same head).
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::Model make_squeezenet_cifar(std::int64_t classes, float l2) {
  using namespace keras::layers;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto conv_bn_relu = [&](const KerasTensor& x, std::int64_t filters, std::int64_t k) {
    const KerasTensor y = Conv2D(filters, k, {.padding = "same", .kernel_initializer = "he_normal", .kernel_regularizer = decay})(x);
    return Activation("relu")(BatchNormalization()(y));
  };
  auto fire = [&](const KerasTensor& x, std::int64_t filters, std::int64_t squeeze) {
    const KerasTensor s = conv_bn_relu(x, squeeze, 1);
    return Concatenate()({conv_bn_relu(s, filters / 2, 1), conv_bn_relu(s, filters / 2, 3)});
  };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = MaxPooling2D(2)(conv_bn_relu(inputs, 96, 3));
  const KerasTensor f2 = fire(x, 128, 16);
  const KerasTensor f3 = Add()({fire(f2, 128, 16), f2});
  const KerasTensor f4 = MaxPooling2D(2)(fire(f3, 256, 32));
  const KerasTensor f5 = Add()({fire(f4, 256, 32), f4});
  const KerasTensor f6 = fire(f5, 384, 48);
  const KerasTensor f7 = Add()({fire(f6, 384, 48), f6});
  const KerasTensor f8 = MaxPooling2D(2)(fire(f7, 512, 64));
  x = fire(f8, 512, 64);
  x = Conv2D(classes, 1, {.kernel_initializer = "he_normal", .kernel_regularizer = decay})(x);
  x = GlobalAveragePooling2D()(x);
  const KerasTensor outputs = Activation("softmax")(x);
  return keras::Model(inputs, outputs, "squeezenet_cifar");
}

}  // namespace apps::zoo
