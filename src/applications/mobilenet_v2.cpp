// MobileNetV2 as keras/src/applications/mobilenet_v2.py builds it.
#include "keras/applications/mobilenet_v2.hpp"

#include <algorithm>
#include <cstdio>

#include "keras/layers/add.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/depthwise_conv2d.hpp"
#include "keras/layers/re_lu.hpp"
#include "keras/layers/zero_padding2d.hpp"

namespace keras::applications {

using namespace keras::layers;

namespace {

const char* const kWeightsUrl = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/";

// Keras' _make_divisible: the nearest multiple of `divisor`, never more than 10% below `v`.
std::int64_t make_divisible(double v, std::int64_t divisor) {
  std::int64_t rounded = std::max<std::int64_t>(divisor, static_cast<std::int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * v) rounded += divisor;
  return rounded;
}

KerasTensor bn(const KerasTensor& x, const std::string& name) {
  return BatchNormalization({.momentum = 0.999f, .epsilon = 1e-3f, .name = name})(x);
}

KerasTensor relu6(const KerasTensor& x, const std::string& name) { return ReLU({.max_value = 6.0f, .name = name})(x); }

// The inverted residual: 1x1 expansion (not in block 0), 3x3 depthwise (stride), 1x1 linear
// projection, and the Add when the shapes allow.
KerasTensor inverted_res_block(const KerasTensor& in, std::int64_t expansion, std::int64_t stride, double alpha,
                               std::int64_t filters, int block_id) {
  const std::int64_t in_channels = in.shape()[-1];
  const std::int64_t pointwise = make_divisible(static_cast<double>(static_cast<std::int64_t>(static_cast<double>(filters) * alpha)), 8);
  KerasTensor x = in;
  std::string prefix = "block_" + std::to_string(block_id) + "_";
  if (block_id != 0) {
    x = Conv2D(expansion * in_channels, 1, {.padding = "same", .use_bias = false, .name = prefix + "expand"})(x);
    x = relu6(bn(x, prefix + "expand_BN"), prefix + "expand_relu");
  } else {
    prefix = "expanded_conv_";
  }
  if (stride == 2) x = ZeroPadding2D(internal::correct_pad(x.shape(), 3), {.name = prefix + "pad"})(x);
  x = DepthwiseConv2D(3, {.strides = stride, .padding = stride == 1 ? "same" : "valid", .use_bias = false,
                          .name = prefix + "depthwise"})(x);
  x = relu6(bn(x, prefix + "depthwise_BN"), prefix + "depthwise_relu");
  x = Conv2D(pointwise, 1, {.padding = "same", .use_bias = false, .name = prefix + "project"})(x);
  x = bn(x, prefix + "project_BN");
  if (in_channels == pointwise && stride == 1) return Add({.name = prefix + "add"})({in, x});
  return x;
}

// Python's str(float(alpha)) for the file names: "1.0", "0.35", "1.3".
std::string python_float(double v) {
  char text[32];
  std::snprintf(text, sizeof text, v == static_cast<double>(static_cast<std::int64_t>(v)) ? "%.1f" : "%g", v);
  return text;
}

}  // namespace

Model MobileNetV2(ApplicationOptions o) {
  if (o.alpha <= 0.0) throw ValueError("MobileNetV2: alpha must be positive, got " + std::to_string(o.alpha));
  const auto square_size = [](const Shape& s) {
    return s.rank() == 3 && s[0] == s[1] && (s[0] == 96 || s[0] == 128 || s[0] == 160 || s[0] == 192 || s[0] == 224);
  };
  const std::optional<Shape> given = o.input_shape ? o.input_shape
                                     : o.input_tensor ? std::optional<Shape>(o.input_tensor->shape().without_batch())
                                                      : std::nullopt;
  const std::int64_t default_size = given && square_size(*given) ? (*given)[0] : 224;
  const Shape shape = internal::input_shape_for("MobileNetV2", o, default_size, 32);
  const KerasTensor input = internal::image_input(o, shape);
  KerasTensor x = Conv2D(make_divisible(32 * o.alpha, 8), 3,
                         {.strides = 2, .padding = "same", .use_bias = false, .name = "Conv1"})(input);
  x = relu6(bn(x, "bn_Conv1"), "Conv1_relu");
  const struct {
    std::int64_t filters, stride, expansion;
  } blocks[] = {{16, 1, 1},  {24, 2, 6},  {24, 1, 6},  {32, 2, 6},  {32, 1, 6},  {32, 1, 6},
                {64, 2, 6},  {64, 1, 6},  {64, 1, 6},  {64, 1, 6},  {96, 1, 6},  {96, 1, 6},
                {96, 1, 6},  {160, 2, 6}, {160, 1, 6}, {160, 1, 6}, {320, 1, 6}};
  for (int i = 0; i < 17; ++i) x = inverted_res_block(x, blocks[i].expansion, blocks[i].stride, o.alpha, blocks[i].filters, i);
  const std::int64_t last = o.alpha > 1.0 ? make_divisible(1280 * o.alpha, 8) : 1280;
  x = Conv2D(last, 1, {.use_bias = false, .name = "Conv_1"})(x);
  x = relu6(bn(x, "Conv_1_bn"), "out_relu");
  x = internal::classifier_or_pooling(x, o, "");
  char name[64];
  const std::string rows = shape[0] == Shape::kNone ? "None" : std::to_string(shape[0]);
  std::snprintf(name, sizeof name, "mobilenetv2_%0.2f_%s", o.alpha, rows.c_str());
  const std::string file_rows = square_size(shape) ? std::to_string(shape[0]) : "224";
  const std::string file = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_" + python_float(o.alpha) + "_" + file_rows +
                           (o.include_top ? ".h5" : "_no_top.h5");
  return internal::application_model(input, x, o, name, file, kWeightsUrl + file);
}

Tensor mobilenet_v2::preprocess_input(const Tensor& images) { return applications::preprocess_input(images, "tf"); }

}  // namespace keras::applications
