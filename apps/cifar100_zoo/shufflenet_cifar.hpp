#pragma once
// ShuffleNet (Zhang et al., 2017) with 3 groups for CIFAR. The paper defines only the ImageNet
// network; this is kuangliu/pytorch-cifar's ShuffleNetG3 (models/shufflenet.py), the reference
// named in docs/models.md: a 1x1 stem to 24 channels; stages of 4, 8 and 4 bottlenecks ending at
// 240, 480 and 960 channels. Each bottleneck is a grouped 1x1 convolution to a quarter of its
// output (ungrouped on the 24-channel stem), the channel shuffle (Reshape, Permute, Reshape), a
// 3x3 depthwise convolution, then a grouped 1x1 convolution. It is added to the input, or, in a
// stage's first (strided) block, concatenated with a 3x3 stride-2 average pool of it, then ReLU.
// Global average pooling and a softmax follow. Keras' "same" padding where the reference pads
// by 1 (the same parameters; the average pool leaves the padding out of its count, as
// TensorFlow does). No biases; weight decay is an L2 penalty on every kernel. 949,258 trainable
// parameters for 100 classes (the reference's count for that head).
#include "keras/keras.hpp"

namespace apps::zoo {

inline keras::layers::KerasTensor channel_shuffle(const keras::layers::KerasTensor& x, std::int64_t groups) {
  using namespace keras::layers;
  const keras::Shape s = x.shape();
  KerasTensor y = Reshape(keras::Shape{s[1], s[2], groups, s[3] / groups})(x);
  y = Permute({1, 2, 4, 3})(y);
  return Reshape(keras::Shape{s[1], s[2], s[3]})(y);
}

inline keras::Model make_shufflenet_cifar(std::int64_t classes, std::int64_t groups, float l2) {
  using namespace keras::layers;
  const keras::regularizers::Regularizer decay = keras::regularizers::L2(l2);
  auto conv1x1 = [&](const KerasTensor& x, std::int64_t filters, std::int64_t g) {
    return Conv2D(filters, 1, {.groups = g, .use_bias = false, .kernel_initializer = "he_normal",
                               .kernel_regularizer = decay})(x);
  };
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = Activation("relu")(BatchNormalization()(conv1x1(inputs, 24, 1)));
  const std::int64_t widths[] = {80 * groups, 160 * groups, 320 * groups};
  const int blocks[] = {4, 8, 4};
  for (int stage = 0; stage < 3; ++stage) {
    for (int b = 0; b < blocks[stage]; ++b) {
      const std::int64_t in = x.shape()[-1];
      const std::int64_t out = widths[stage] - (b == 0 ? in : 0);
      const std::int64_t mid = out / 4, first_groups = in == 24 ? 1 : groups, stride = b == 0 ? 2 : 1;
      KerasTensor y = Activation("relu")(BatchNormalization()(conv1x1(x, mid, first_groups)));
      y = channel_shuffle(y, first_groups);
      y = BatchNormalization()(DepthwiseConv2D(3, {.strides = stride, .padding = "same", .use_bias = false,
                                                   .depthwise_initializer = "he_normal",
                                                   .depthwise_regularizer = decay})(y));
      y = Activation("relu")(y);
      y = BatchNormalization()(conv1x1(y, out, groups));
      x = b == 0 ? Concatenate()({y, AveragePooling2D(3, {.strides = 2, .padding = "same"})(x)}) : Add()({y, x});
      x = Activation("relu")(x);
    }
  }
  x = GlobalAveragePooling2D()(x);
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = decay})(x);
  return keras::Model(inputs, outputs, "shufflenet_g" + std::to_string(groups) + "_cifar");
}

}  // namespace apps::zoo
