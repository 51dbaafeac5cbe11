#pragma once
// Xception (Chollet, 2017) for CIFAR. The paper defines only the ImageNet network; this is the
// CIFAR-100 version of weiaicunzai/pytorch-cifar100 (models/xception.py), the reference named in
// docs/models.md: the paper's entry flow with stride-1 3x3 convolutions of 32 and 64 channels
// (so 32x32 stays 32x32), two strided residual blocks (128, 256) and a third of 728 channels that
// does not downsample, the paper's middle flow (8 blocks of three ReLU-separable-BN), and its exit
// flow (728 -> 1024 strided, then separable 1536 and 2048 with ReLU), global average pooling and
// a softmax. The shortcut 1x1 convolutions keep their biases, as the reference's do; strided max
// pooling uses Keras' "same" padding (the reference pads 1 on every side: the same parameters,
// a one-pixel different alignment). 21,013,988 trainable parameters for 100 classes (the
// reference's count for the same head).
#include "keras/keras.hpp"

namespace apps::zoo {

// `middle_blocks`: the middle flow's repeats (8 in the paper).
inline keras::Model make_xception_cifar(std::int64_t classes, int middle_blocks, float l2) {
  using namespace keras::layers;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto separable_bn = [&](const KerasTensor& x, std::int64_t filters) {
    const KerasTensor y = SeparableConv2D(filters, 3, {.padding = "same", .use_bias = false,
                                                       .depthwise_initializer = "he_normal",
                                                       .pointwise_initializer = "he_normal",
                                                       .depthwise_regularizer = decay, .pointwise_regularizer = decay})(x);
    return BatchNormalization()(y);
  };
  auto relu = [](const KerasTensor& x) { return Activation("relu")(x); };
  auto shortcut = [&](const KerasTensor& x, std::int64_t filters, std::int64_t stride) {
    return BatchNormalization()(Conv2D(filters, 1, {.strides = stride, .kernel_initializer = "he_normal",
                                                    .kernel_regularizer = decay})(x));
  };
  // relu (except the first block's, which follows a relu already), separable-BN, relu,
  // separable-BN, 3x3 max pooling; plus the projected shortcut.
  auto entry_block = [&](const KerasTensor& x, std::int64_t filters, std::int64_t stride, bool leading_relu) {
    KerasTensor r = separable_bn(leading_relu ? relu(x) : x, filters);
    r = separable_bn(relu(r), filters);
    r = MaxPooling2D(3, {.strides = stride, .padding = "same"})(r);
    return Add()({r, shortcut(x, filters, stride)});
  };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = inputs;
  for (const std::int64_t filters : {32, 64}) {
    x = relu(BatchNormalization()(Conv2D(filters, 3, {.padding = "same", .use_bias = false,
                                                      .kernel_initializer = "he_normal", .kernel_regularizer = decay})(x)));
  }
  x = entry_block(x, 128, 2, false);
  x = entry_block(x, 256, 2, true);
  x = entry_block(x, 728, 1, true);
  for (int block = 0; block < middle_blocks; ++block) {
    KerasTensor r = x;
    for (int i = 0; i < 3; ++i) r = separable_bn(relu(r), 728);
    x = Add()({x, r});
  }
  KerasTensor r = separable_bn(relu(x), 728);
  r = separable_bn(relu(r), 1024);
  r = MaxPooling2D(3, {.strides = 2, .padding = "same"})(r);
  x = Add()({shortcut(x, 1024, 2), r});
  x = relu(separable_bn(x, 1536));
  x = relu(separable_bn(x, 2048));
  x = GlobalAveragePooling2D()(x);
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "xception_cifar");
}

}  // namespace apps::zoo
