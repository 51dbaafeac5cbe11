// DenseNet121 as keras/src/applications/densenet.py builds it.
#include "keras/applications/densenet.hpp"

#include "keras/layers/activation.hpp"
#include "keras/layers/average_pooling2d.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/concatenate.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/max_pooling2d.hpp"
#include "keras/layers/zero_padding2d.hpp"

namespace keras::applications {

using namespace keras::layers;

namespace {

const char* const kWeightsUrl = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/";

KerasTensor bn_relu(const KerasTensor& x, const std::string& bn_name, const std::string& relu_name) {
  return Activation("relu", {.name = relu_name})(BatchNormalization({.epsilon = 1.001e-5f, .name = bn_name})(x));
}

// BN-relu-1x1 (4 x growth) then BN-relu-3x3 (growth), concatenated onto the input.
KerasTensor conv_block(const KerasTensor& x, std::int64_t growth_rate, const std::string& name) {
  KerasTensor y = bn_relu(x, name + "_0_bn", name + "_0_relu");
  y = Conv2D(4 * growth_rate, 1, {.use_bias = false, .name = name + "_1_conv"})(y);
  y = bn_relu(y, name + "_1_bn", name + "_1_relu");
  y = Conv2D(growth_rate, 3, {.padding = "same", .use_bias = false, .name = name + "_2_conv"})(y);
  return Concatenate({.name = name + "_concat"})({x, y});
}

KerasTensor dense_block(KerasTensor x, int blocks, const std::string& name) {
  for (int i = 1; i <= blocks; ++i) x = conv_block(x, 32, name + "_block" + std::to_string(i));
  return x;
}

// BN-relu, a 1x1 convolution halving the channels, 2x2 average pooling.
KerasTensor transition_block(const KerasTensor& x, double reduction, const std::string& name) {
  KerasTensor y = bn_relu(x, name + "_bn", name + "_relu");
  y = Conv2D(static_cast<std::int64_t>(static_cast<double>(x.shape()[-1]) * reduction), 1,
             {.use_bias = false, .name = name + "_conv"})(y);
  return AveragePooling2D(2, {.strides = 2, .name = name + "_pool"})(y);
}

}  // namespace

Model DenseNet121(ApplicationOptions o) {
  const Shape shape = internal::input_shape_for("DenseNet121", o, 224, 32);
  const KerasTensor input = internal::image_input(o, shape);
  KerasTensor x = ZeroPadding2D(Padding2D{{3, 3}, {3, 3}})(input);
  x = Conv2D(64, 7, {.strides = 2, .use_bias = false, .name = "conv1/conv"})(x);
  x = bn_relu(x, "conv1/bn", "conv1/relu");
  x = ZeroPadding2D(Padding2D{{1, 1}, {1, 1}})(x);
  x = MaxPooling2D(3, {.strides = 2, .name = "pool1"})(x);
  const int blocks[] = {6, 12, 24, 16};
  for (int stage = 0; stage < 4; ++stage) {
    x = dense_block(x, blocks[stage], "conv" + std::to_string(stage + 2));
    if (stage < 3) x = transition_block(x, 0.5, "pool" + std::to_string(stage + 2));
  }
  x = bn_relu(x, "bn", "relu");
  x = internal::classifier_or_pooling(x, o, "avg_pool", "avg_pool", "max_pool");
  const std::string file = o.include_top ? "densenet121_weights_tf_dim_ordering_tf_kernels.h5"
                                         : "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5";
  return internal::application_model(input, x, o, "densenet121", file, kWeightsUrl + file);
}

Tensor densenet::preprocess_input(const Tensor& images) { return applications::preprocess_input(images, "torch"); }

}  // namespace keras::applications
