// Conv2D, DepthwiseConv2D and SeparableConv2D.
#include "keras/layers/conv2d.hpp"

#include "../saving/config_support.hpp"
#include "keras/layers/depthwise_conv2d.hpp"
#include "keras/layers/separable_conv2d.hpp"
#include "keras/ops/activation.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/nn.hpp"
#include "layer_checks.hpp"

namespace keras::layers {

namespace {
// Output shape of a channels-last convolution with `filters` output channels.
Shape conv_output_shape(const Shape& in, Size2 kernel, Size2 strides, Size2 dilation,
                        const std::string& padding, std::int64_t filters,
                        const std::string& layer) {
  const std::int64_t h = internal::output_length(in[1], kernel.h, strides.h, dilation.h, padding);
  const std::int64_t w = internal::output_length(in[2], kernel.w, strides.w, dilation.w, padding);
  if (h == 0 || w == 0) {
    throw ShapeError(layer + ": a " + std::to_string(kernel.h) + "x" + std::to_string(kernel.w) +
                     " kernel with padding=\"" + padding + "\" does not fit the input shape " +
                     to_string(in) + "; use padding=\"same\" or remove a pooling layer before it");
  }
  return Shape{in[0], h, w, filters};
}

void check_conv_args(Size2 kernel, Size2 strides, Size2 dilation, const std::string& padding,
                     const std::string& data_format, const std::string& layer) {
  internal::require_channels_last(data_format, layer);
  internal::require_padding(padding, layer);
  for (auto v : {kernel.h, kernel.w}) internal::require_positive(v, "kernel_size", layer);
  for (auto v : {strides.h, strides.w}) internal::require_positive(v, "strides", layer);
  for (auto v : {dilation.h, dilation.w}) internal::require_positive(v, "dilation_rate", layer);
  if ((strides.h > 1 || strides.w > 1) && (dilation.h > 1 || dilation.w > 1)) {
    throw ValueError(layer + ": strides > 1 together with dilation_rate > 1 is not supported "
                             "(as in Keras)");
  }
}

ops::Conv2DOptions op_options(Size2 strides, const std::string& padding, Size2 dilation,
                              std::int64_t groups) {
  return {strides.h, strides.w, padding, dilation.h, dilation.w, groups};
}

void require_channels(const Shape& in, const std::string& layer) {
  if (in[3] < 1) {
    throw ShapeError(layer + " needs a known channel axis, got input shape " + to_string(in));
  }
}

// After build, the input channels must be those the weights were made for.
void require_built_channels(const Shape& in, std::int64_t channels, const std::string& layer) {
  if (in[3] != channels) {
    throw ShapeError(layer + " was built for " + std::to_string(channels) +
                     " input channels but got input shape " + to_string(in));
  }
}
}  // namespace

// --- Conv2D -----------------------------------------------------------------------------

Conv2DImpl::Conv2DImpl(std::int64_t filters, Size2 kernel_size, Conv2DOptions options)
    : Layer("Conv2D", options.name),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  internal::require_positive(filters, "filters", describe());
  internal::require_positive(options_.groups, "groups", describe());
  check_conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding,
                  options_.data_format, describe());
  if (filters_ % options_.groups != 0) {
    throw ValueError(describe() + ": filters (" + std::to_string(filters_) +
                     ") must be divisible by groups (" + std::to_string(options_.groups) + ")");
  }
  options_.activation = ops::canonical_activation(options_.activation);
}

Shape Conv2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 4, 4);
  require_channels(in, describe());
  if (in[3] % options_.groups != 0) {
    throw ShapeError(describe() + ": input channels (" + std::to_string(in[3]) +
                     ") must be divisible by groups (" + std::to_string(options_.groups) +
                     "), input shape " + to_string(in));
  }
  if (kernel_) require_built_channels(in, kernel_->shape()[2] * options_.groups, describe());
  return conv_output_shape(in, kernel_size_, options_.strides, options_.dilation_rate,
                           options_.padding, filters_, describe());
}

void Conv2DImpl::build_weights(const std::vector<Shape>& shapes) {
  const std::int64_t in = shapes.front()[3];
  kernel_ = add_weight("kernel", {kernel_size_.h, kernel_size_.w, in / options_.groups, filters_},
                       options_.kernel_initializer, true, options_.kernel_regularizer);
  if (options_.use_bias) {
    bias_ = add_weight("bias", {filters_}, options_.bias_initializer, true,
                       options_.bias_regularizer);
  }
}

Tensor Conv2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  const auto opts = op_options(options_.strides, options_.padding, options_.dilation_rate,
                               options_.groups);
  if (!bias_) {
    return ops::get_activation(options_.activation)(
        ops::conv2d(inputs.front(), autocast(kernel_), opts));
  }
  return ops::conv2d_bias_activation(inputs.front(), autocast(kernel_), autocast(bias_),
                                     options_.activation, opts);
}

Conv2D::Conv2D(std::int64_t filters, Size2 kernel_size, Conv2DOptions options)
    : LayerHandle(std::make_shared<Conv2DImpl>(filters, kernel_size, std::move(options))) {}

// --- DepthwiseConv2D --------------------------------------------------------------------

DepthwiseConv2DImpl::DepthwiseConv2DImpl(Size2 kernel_size, DepthwiseConv2DOptions options)
    : Layer("DepthwiseConv2D", options.name), kernel_size_(kernel_size), options_(std::move(options)) {
  internal::require_positive(options_.depth_multiplier, "depth_multiplier", describe());
  check_conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding,
                  options_.data_format, describe());
  options_.activation = ops::canonical_activation(options_.activation);
}

Shape DepthwiseConv2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 4, 4);
  require_channels(in, describe());
  if (kernel_) require_built_channels(in, kernel_->shape()[2], describe());
  return conv_output_shape(in, kernel_size_, options_.strides, options_.dilation_rate,
                           options_.padding, in[3] * options_.depth_multiplier, describe());
}

void DepthwiseConv2DImpl::build_weights(const std::vector<Shape>& shapes) {
  const std::int64_t in = shapes.front()[3];
  kernel_ = add_weight("kernel", {kernel_size_.h, kernel_size_.w, in, options_.depth_multiplier},
                       options_.depthwise_initializer, true, options_.depthwise_regularizer);
  if (options_.use_bias) {
    bias_ = add_weight("bias", {in * options_.depth_multiplier}, options_.bias_initializer, true,
                       options_.bias_regularizer);
  }
}

namespace {
// A depthwise convolution is a grouped one with groups = channels: the (kh, kw, c, m) kernel
// has exactly the memory layout of the grouped (kh, kw, 1, c * m) kernel.
Tensor depthwise(const Tensor& x, const Tensor& kernel, const Tensor& bias, Size2 strides,
                 const std::string& padding, Size2 dilation, const std::string& activation) {
  const Shape& k = kernel.shape();
  const Tensor grouped = ops::reshape(kernel, {k[0], k[1], 1, k[2] * k[3]});
  const auto opts = op_options(strides, padding, dilation, k[2]);
  if (!bias.defined()) return ops::get_activation(activation)(ops::conv2d(x, grouped, opts));
  return ops::conv2d_bias_activation(x, grouped, bias, activation, opts);
}
}  // namespace

Tensor DepthwiseConv2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return depthwise(inputs.front(), autocast(kernel_), bias_ ? autocast(bias_) : Tensor(),
                   options_.strides, options_.padding, options_.dilation_rate, options_.activation);
}

DepthwiseConv2D::DepthwiseConv2D(Size2 kernel_size, DepthwiseConv2DOptions options)
    : LayerHandle(std::make_shared<DepthwiseConv2DImpl>(kernel_size, std::move(options))) {}

// --- SeparableConv2D --------------------------------------------------------------------

SeparableConv2DImpl::SeparableConv2DImpl(std::int64_t filters, Size2 kernel_size,
                                         SeparableConv2DOptions options)
    : Layer("SeparableConv2D", options.name),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)) {
  internal::require_positive(filters, "filters", describe());
  internal::require_positive(options_.depth_multiplier, "depth_multiplier", describe());
  check_conv_args(kernel_size_, options_.strides, options_.dilation_rate, options_.padding,
                  options_.data_format, describe());
  options_.activation = ops::canonical_activation(options_.activation);
}

Shape SeparableConv2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 4, 4);
  require_channels(in, describe());
  if (depthwise_) require_built_channels(in, depthwise_->shape()[2], describe());
  return conv_output_shape(in, kernel_size_, options_.strides, options_.dilation_rate,
                           options_.padding, filters_, describe());
}

void SeparableConv2DImpl::build_weights(const std::vector<Shape>& shapes) {
  const std::int64_t in = shapes.front()[3], dm = options_.depth_multiplier;
  depthwise_ = add_weight("depthwise_kernel", {kernel_size_.h, kernel_size_.w, in, dm},
                          options_.depthwise_initializer, true, options_.depthwise_regularizer);
  pointwise_ = add_weight("pointwise_kernel", {1, 1, in * dm, filters_},
                          options_.pointwise_initializer, true, options_.pointwise_regularizer);
  if (options_.use_bias) {
    bias_ = add_weight("bias", {filters_}, options_.bias_initializer, true,
                       options_.bias_regularizer);
  }
}

Tensor SeparableConv2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  const Tensor mid = depthwise(inputs.front(), autocast(depthwise_), Tensor(), options_.strides,
                               options_.padding, options_.dilation_rate, "linear");
  const auto pointwise = op_options(1, "valid", 1, 1);
  if (!bias_) {
    return ops::get_activation(options_.activation)(
        ops::conv2d(mid, autocast(pointwise_), pointwise));
  }
  return ops::conv2d_bias_activation(mid, autocast(pointwise_), autocast(bias_),
                                     options_.activation, pointwise);
}

SeparableConv2D::SeparableConv2D(std::int64_t filters, Size2 kernel_size,
                                 SeparableConv2DOptions options)
    : LayerHandle(std::make_shared<SeparableConv2DImpl>(filters, kernel_size, std::move(options))) {}

// Keras configs, and the factories that read them back.

nlohmann::json Conv2DImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"filters", filters()},
                 {"kernel_size", pair(kernel_size())},
                 {"strides", pair(options().strides)},
                 {"padding", options().padding},
                 {"data_format", options().data_format},
                 {"dilation_rate", pair(options().dilation_rate)},
                 {"groups", options().groups},
                 {"activation", options().activation},
                 {"use_bias", options().use_bias},
                 {"kernel_initializer", initializer_config(options().kernel_initializer)},
                 {"bias_initializer", initializer_config(options().bias_initializer)},
                 {"kernel_regularizer", regularizer_config(options().kernel_regularizer)},
                 {"bias_regularizer", regularizer_config(options().bias_regularizer)}});
  config.update(no_constraints({"activity_regularizer", "kernel_constraint", "bias_constraint"}));
  return config;
}

nlohmann::json DepthwiseConv2DImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"kernel_size", pair(kernel_size())},
                 {"strides", pair(options().strides)},
                 {"padding", options().padding},
                 {"depth_multiplier", options().depth_multiplier},
                 {"data_format", options().data_format},
                 {"dilation_rate", pair(options().dilation_rate)},
                 {"activation", options().activation},
                 {"use_bias", options().use_bias},
                 {"depthwise_initializer", initializer_config(options().depthwise_initializer)},
                 {"bias_initializer", initializer_config(options().bias_initializer)},
                 {"depthwise_regularizer", regularizer_config(options().depthwise_regularizer)},
                 {"bias_regularizer", regularizer_config(options().bias_regularizer)}});
  config.update(no_constraints({"activity_regularizer", "depthwise_constraint", "bias_constraint"}));
  return config;
}

nlohmann::json SeparableConv2DImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"filters", filters()},
                 {"kernel_size", pair(kernel_size())},
                 {"strides", pair(options().strides)},
                 {"padding", options().padding},
                 {"data_format", options().data_format},
                 {"dilation_rate", pair(options().dilation_rate)},
                 {"depth_multiplier", options().depth_multiplier},
                 {"activation", options().activation},
                 {"use_bias", options().use_bias},
                 {"depthwise_initializer", initializer_config(options().depthwise_initializer)},
                 {"pointwise_initializer", initializer_config(options().pointwise_initializer)},
                 {"bias_initializer", initializer_config(options().bias_initializer)},
                 {"depthwise_regularizer", regularizer_config(options().depthwise_regularizer)},
                 {"pointwise_regularizer", regularizer_config(options().pointwise_regularizer)},
                 {"bias_regularizer", regularizer_config(options().bias_regularizer)}});
  config.update(
      no_constraints({"activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"}));
  return config;
}

namespace {

LayerPtr make_conv2d(const keras::internal::ConfigArgs& a) {
  a.require_absent({"activity_regularizer", "kernel_constraint", "bias_constraint"});
  return Conv2D(a.integer("filters", 0), a.size2("kernel_size", 1),
                {.strides = a.size2("strides", 1),
                 .padding = a.string("padding", "valid"),
                 .data_format = a.string("data_format", "channels_last"),
                 .dilation_rate = a.size2("dilation_rate", 1),
                 .groups = a.integer("groups", 1),
                 .activation = a.activation("activation"),
                 .use_bias = a.boolean("use_bias", true),
                 .kernel_initializer = a.initializer("kernel_initializer", "glorot_uniform"),
                 .bias_initializer = a.initializer("bias_initializer", "zeros"),
                 .kernel_regularizer = a.regularizer("kernel_regularizer"),
                 .bias_regularizer = a.regularizer("bias_regularizer"),
                 .name = a.name()});
}

LayerPtr make_depthwise_conv2d(const keras::internal::ConfigArgs& a) {
  a.require_absent({"activity_regularizer", "depthwise_constraint", "bias_constraint"});
  return DepthwiseConv2D(a.size2("kernel_size", 1),
                         {.strides = a.size2("strides", 1),
                          .padding = a.string("padding", "valid"),
                          .depth_multiplier = a.integer("depth_multiplier", 1),
                          .data_format = a.string("data_format", "channels_last"),
                          .dilation_rate = a.size2("dilation_rate", 1),
                          .activation = a.activation("activation"),
                          .use_bias = a.boolean("use_bias", true),
                          .depthwise_initializer = a.initializer("depthwise_initializer", "glorot_uniform"),
                          .bias_initializer = a.initializer("bias_initializer", "zeros"),
                          .depthwise_regularizer = a.regularizer("depthwise_regularizer"),
                          .bias_regularizer = a.regularizer("bias_regularizer"),
                          .name = a.name()});
}

LayerPtr make_separable_conv2d(const keras::internal::ConfigArgs& a) {
  a.require_absent({"activity_regularizer", "depthwise_constraint", "pointwise_constraint", "bias_constraint"});
  return SeparableConv2D(a.integer("filters", 0), a.size2("kernel_size", 1),
                         {.strides = a.size2("strides", 1),
                          .padding = a.string("padding", "valid"),
                          .data_format = a.string("data_format", "channels_last"),
                          .dilation_rate = a.size2("dilation_rate", 1),
                          .depth_multiplier = a.integer("depth_multiplier", 1),
                          .activation = a.activation("activation"),
                          .use_bias = a.boolean("use_bias", true),
                          .depthwise_initializer = a.initializer("depthwise_initializer", "glorot_uniform"),
                          .pointwise_initializer = a.initializer("pointwise_initializer", "glorot_uniform"),
                          .bias_initializer = a.initializer("bias_initializer", "zeros"),
                          .depthwise_regularizer = a.regularizer("depthwise_regularizer"),
                          .pointwise_regularizer = a.regularizer("pointwise_regularizer"),
                          .bias_regularizer = a.regularizer("bias_regularizer"),
                          .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Conv2D, keras::layers::make_conv2d, R"({"config": {"filters": 4, "kernel_size": [3, 2], "strides": [2, 1], "padding": "same", "groups": 2}, "inputs": [[null, 7, 6, 4]]})")
KERASCPP_REGISTER_LAYER(DepthwiseConv2D, keras::layers::make_depthwise_conv2d, R"({"config": {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, "inputs": [[null, 6, 6, 3]]})")
KERASCPP_REGISTER_LAYER(SeparableConv2D, keras::layers::make_separable_conv2d, R"({"config": {"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "activation": "relu"}, "inputs": [[null, 6, 6, 3]]})")
