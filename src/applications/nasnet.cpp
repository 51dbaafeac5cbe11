// NASNetMobile as keras/src/applications/nasnet.py builds it: NASNet(penultimate_filters=1056,
// num_blocks=4, stem_block_filters=32, skip_reduction=False, filter_multiplier=2).
#include "keras/applications/nasnet.hpp"

#include "keras/applications/nasnet_cells.hpp"
#include "keras/layers/activation.hpp"
#include "keras/layers/add.hpp"
#include "keras/layers/average_pooling2d.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/concatenate.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/cropping2d.hpp"
#include "keras/layers/max_pooling2d.hpp"
#include "keras/layers/separable_conv2d.hpp"
#include "keras/layers/zero_padding2d.hpp"

namespace keras::applications {

using namespace keras::layers;

namespace {

const char* const kWeightsUrl = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/";

using nasnet_cells::CellOutput;
using nasnet_cells::CellStyle;

KerasTensor bn(const KerasTensor& x, const std::string& name, const CellStyle& style) {
  return BatchNormalization({.momentum = style.bn_momentum, .epsilon = style.bn_epsilon, .name = name})(x);
}

KerasTensor relu(const KerasTensor& x, const std::string& name = "") { return Activation("relu", {.name = name})(x); }

KerasTensor conv1x1(const KerasTensor& x, std::int64_t filters, const std::string& name, const CellStyle& style) {
  return Conv2D(filters, 1, {.padding = "same", .use_bias = false, .kernel_initializer = "he_normal",
                             .kernel_regularizer = style.kernel_regularizer, .name = name})(x);
}

// relu, separable k x k (strided, padded as Keras does), BN, relu, separable k x k, BN.
KerasTensor separable_block(const KerasTensor& in, std::int64_t filters, std::int64_t k, std::int64_t stride,
                            const std::string& id, const CellStyle& style) {
  KerasTensor x = relu(in);
  std::string padding = "same";
  if (stride == 2) {
    x = ZeroPadding2D(internal::correct_pad(x.shape(), k), {.name = "separable_conv_1_pad_" + id})(x);
    padding = "valid";
  }
  x = SeparableConv2D(filters, k, {.strides = stride, .padding = padding, .use_bias = false,
                                   .depthwise_regularizer = style.kernel_regularizer,
                                   .pointwise_regularizer = style.kernel_regularizer, .name = "separable_conv_1_" + id})(x);
  x = relu(bn(x, "separable_conv_1_bn_" + id, style));
  x = SeparableConv2D(filters, k, {.padding = "same", .use_bias = false, .depthwise_regularizer = style.kernel_regularizer,
                                   .pointwise_regularizer = style.kernel_regularizer, .name = "separable_conv_2_" + id})(x);
  return bn(x, "separable_conv_2_bn_" + id, style);
}

// Brings the previous cell's output `p` to the shape of `ip`: a factorized reduction when the
// sizes differ, a 1x1 projection when only the channels do.
KerasTensor adjust_block(std::optional<KerasTensor> p, const KerasTensor& ip, std::int64_t filters, const std::string& id,
                         const CellStyle& style) {
  if (!p) return ip;
  if (p->shape()[-2] != ip.shape()[-2]) {
    const KerasTensor r = relu(*p, "adjust_relu_1_" + id);
    KerasTensor p1 = AveragePooling2D(1, {.strides = 2, .name = "adjust_avg_pool_1_" + id})(r);
    p1 = conv1x1(p1, filters / 2, "adjust_conv_1_" + id, style);
    KerasTensor p2 = ZeroPadding2D(Padding2D{{0, 1}, {0, 1}})(r);
    p2 = Cropping2D(Padding2D{{1, 0}, {1, 0}})(p2);
    p2 = AveragePooling2D(1, {.strides = 2, .name = "adjust_avg_pool_2_" + id})(p2);
    p2 = conv1x1(p2, filters / 2, "adjust_conv_2_" + id, style);
    return bn(Concatenate()({p1, p2}), "adjust_bn_" + id, style);
  }
  if (p->shape()[-1] != filters) {
    return bn(conv1x1(relu(*p), filters, "adjust_conv_projection_" + id, style), "adjust_bn_" + id, style);
  }
  return *p;
}

KerasTensor avg3(const KerasTensor& x, std::int64_t stride, const std::string& padding, const std::string& name) {
  return AveragePooling2D(3, {.strides = stride, .padding = padding, .name = name})(x);
}

}  // namespace

CellOutput nasnet_cells::normal_cell(const KerasTensor& ip, std::optional<KerasTensor> p_in, std::int64_t filters,
                                     const std::string& id, const CellStyle& style) {
  const KerasTensor p = adjust_block(p_in, ip, filters, id, style);
  const KerasTensor h = bn(conv1x1(relu(ip), filters, "normal_conv_1_" + id, style), "normal_bn_1_" + id, style);
  const KerasTensor x1 = Add({.name = "normal_add_1_" + id})(
      {separable_block(h, filters, 5, 1, "normal_left1_" + id, style), separable_block(p, filters, 3, 1, "normal_right1_" + id, style)});
  const KerasTensor x2 = Add({.name = "normal_add_2_" + id})(
      {separable_block(p, filters, 5, 1, "normal_left2_" + id, style), separable_block(p, filters, 3, 1, "normal_right2_" + id, style)});
  const KerasTensor x3 = Add({.name = "normal_add_3_" + id})({avg3(h, 1, "same", "normal_left3_" + id), p});
  const KerasTensor x4 = Add({.name = "normal_add_4_" + id})(
      {avg3(p, 1, "same", "normal_left4_" + id), avg3(p, 1, "same", "normal_right4_" + id)});
  const KerasTensor x5 = Add({.name = "normal_add_5_" + id})({separable_block(h, filters, 3, 1, "normal_left5_" + id, style), h});
  return {Concatenate({.name = "normal_concat_" + id})({p, x1, x2, x3, x4, x5}), ip};
}

CellOutput nasnet_cells::reduction_cell(const KerasTensor& ip, std::optional<KerasTensor> p_in, std::int64_t filters,
                                        const std::string& id, const CellStyle& style) {
  const KerasTensor p = adjust_block(p_in, ip, filters, id, style);
  const KerasTensor h = bn(conv1x1(relu(ip), filters, "reduction_conv_1_" + id, style), "reduction_bn_1_" + id, style);
  const KerasTensor h3 = ZeroPadding2D(internal::correct_pad(h.shape(), 3), {.name = "reduction_pad_1_" + id})(h);
  const KerasTensor x1 = Add({.name = "reduction_add_1_" + id})({separable_block(h, filters, 5, 2, "reduction_left1_" + id, style),
                                                                 separable_block(p, filters, 7, 2, "reduction_right1_" + id, style)});
  const KerasTensor x2 = Add({.name = "reduction_add_2_" + id})(
      {MaxPooling2D(3, {.strides = 2, .name = "reduction_left2_" + id})(h3),
       separable_block(p, filters, 7, 2, "reduction_right2_" + id, style)});
  const KerasTensor x3 = Add({.name = "reduction_add3_" + id})(
      {avg3(h3, 2, "valid", "reduction_left3_" + id), separable_block(p, filters, 5, 2, "reduction_right3_" + id, style)});
  const KerasTensor x4 = Add()({x2, avg3(x1, 1, "same", "reduction_left4_" + id)});
  const KerasTensor x5 = Add({.name = "reduction_add4_" + id})(
      {separable_block(x1, filters, 3, 1, "reduction_left4_" + id, style),
       MaxPooling2D(3, {.strides = 2, .name = "reduction_right5_" + id})(h3)});
  return {Concatenate({.name = "reduction_concat_" + id})({x2, x3, x4, x5}), ip};
}

Model NASNetMobile(ApplicationOptions o) {
  const Shape shape = internal::input_shape_for("NASNetMobile", o, 224, 32);
  const KerasTensor input = internal::image_input(o, shape);
  constexpr int kBlocks = 4;
  constexpr std::int64_t kFilters = 1056 / 24, kMultiplier = 2;
  KerasTensor x = Conv2D(32, 3, {.strides = 2, .use_bias = false, .kernel_initializer = "he_normal", .name = "stem_conv1"})(input);
  const CellStyle style;  // Keras' NASNetMobile: BN momentum 0.9997, epsilon 1e-3, no regularizers
  x = bn(x, "stem_bn1", style);
  CellOutput c = nasnet_cells::reduction_cell(x, std::nullopt, kFilters / (kMultiplier * kMultiplier), "stem_1");
  c = nasnet_cells::reduction_cell(c.x, c.previous, kFilters / kMultiplier, "stem_2");
  std::int64_t filters = kFilters;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      filters *= kMultiplier;
      c = nasnet_cells::reduction_cell(c.x, c.previous, filters, "reduce_" + std::to_string(stage * kBlocks));
    }
    for (int i = 0; i < kBlocks; ++i) {
      c = nasnet_cells::normal_cell(c.x, c.previous, filters, std::to_string(stage == 0 ? i : stage * kBlocks + i + 1));
    }
  }
  x = internal::classifier_or_pooling(relu(c.x), o, "");
  // Keras saves the download under another name than the published file's.
  const std::string file = o.include_top ? "NASNet-mobile.h5" : "NASNet-mobile-no-top.h5";
  return internal::application_model(input, x, o, "NASNet", o.include_top ? "nasnet_mobile.h5" : "nasnet_mobile_no_top.h5",
                                     kWeightsUrl + file);
}

Tensor nasnet::preprocess_input(const Tensor& images) { return applications::preprocess_input(images, "tf"); }

}  // namespace keras::applications
