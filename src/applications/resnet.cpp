// ResNet50 as keras/src/applications/resnet.py builds it (ResNet with stack1/block1).
#include "keras/applications/resnet.hpp"

#include "keras/layers/activation.hpp"
#include "keras/layers/add.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/max_pooling2d.hpp"
#include "keras/layers/zero_padding2d.hpp"

namespace keras::applications {

using namespace keras::layers;

namespace {

const char* const kWeightsUrl = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/";

KerasTensor bn(const KerasTensor& x, const std::string& name) {
  return BatchNormalization({.epsilon = 1.001e-5f, .name = name})(x);
}

// The bottleneck block: 1x1 (stride), 3x3, 1x1 to 4 x filters, plus the shortcut (a strided 1x1
// convolution and BatchNormalization when `conv_shortcut`), Add, relu.
KerasTensor block1(const KerasTensor& in, std::int64_t filters, std::int64_t stride, bool conv_shortcut,
                   const std::string& name) {
  KerasTensor shortcut = in;
  if (conv_shortcut) shortcut = bn(Conv2D(4 * filters, 1, {.strides = stride, .name = name + "_0_conv"})(in), name + "_0_bn");
  KerasTensor x = bn(Conv2D(filters, 1, {.strides = stride, .name = name + "_1_conv"})(in), name + "_1_bn");
  x = Activation("relu", {.name = name + "_1_relu"})(x);
  x = bn(Conv2D(filters, 3, {.padding = "same", .name = name + "_2_conv"})(x), name + "_2_bn");
  x = Activation("relu", {.name = name + "_2_relu"})(x);
  x = bn(Conv2D(4 * filters, 1, {.name = name + "_3_conv"})(x), name + "_3_bn");
  x = Add({.name = name + "_add"})({shortcut, x});
  return Activation("relu", {.name = name + "_out"})(x);
}

KerasTensor stack1(KerasTensor x, std::int64_t filters, int blocks, std::int64_t stride, const std::string& name) {
  x = block1(x, filters, stride, true, name + "_block1");
  for (int i = 2; i <= blocks; ++i) x = block1(x, filters, 1, false, name + "_block" + std::to_string(i));
  return x;
}

}  // namespace

Model ResNet50(ApplicationOptions o) {
  const Shape shape = internal::input_shape_for("ResNet50", o, 224, 32);
  const KerasTensor input = internal::image_input(o, shape);
  KerasTensor x = ZeroPadding2D(Padding2D{{3, 3}, {3, 3}}, {.name = "conv1_pad"})(input);
  x = Conv2D(64, 7, {.strides = 2, .name = "conv1_conv"})(x);
  x = Activation("relu", {.name = "conv1_relu"})(bn(x, "conv1_bn"));
  x = ZeroPadding2D(Padding2D{{1, 1}, {1, 1}}, {.name = "pool1_pad"})(x);
  x = MaxPooling2D(3, {.strides = 2, .name = "pool1_pool"})(x);
  x = stack1(x, 64, 3, 1, "conv2");
  x = stack1(x, 128, 4, 2, "conv3");
  x = stack1(x, 256, 6, 2, "conv4");
  x = stack1(x, 512, 3, 2, "conv5");
  x = internal::classifier_or_pooling(x, o, "avg_pool", "avg_pool", "max_pool");
  const std::string file = o.include_top ? "resnet50_weights_tf_dim_ordering_tf_kernels.h5"
                                         : "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5";
  return internal::application_model(input, x, o, "resnet50", file, kWeightsUrl + file);
}

Tensor resnet::preprocess_input(const Tensor& images) { return applications::preprocess_input(images, "caffe"); }

}  // namespace keras::applications
