// MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D.
#include "keras/layers/average_pooling2d.hpp"

#include "../saving/config_support.hpp"
#include "keras/layers/global_average_pooling2d.hpp"
#include "keras/layers/global_max_pooling2d.hpp"
#include "keras/layers/max_pooling2d.hpp"
#include "keras/ops/nn.hpp"
#include "layer_checks.hpp"

namespace keras::layers {

namespace {
void check_pool_args(Size2 pool, Size2 strides, const std::string& padding,
                     const std::string& data_format, const std::string& layer) {
  internal::require_channels_last(data_format, layer);
  internal::require_padding(padding, layer);
  for (auto v : {pool.h, pool.w}) internal::require_positive(v, "pool_size", layer);
  for (auto v : {strides.h, strides.w}) internal::require_positive(v, "strides", layer);
}

Shape pool_output_shape(const Shape& in, Size2 pool, Size2 strides, const std::string& padding,
                        const std::string& layer) {
  const std::int64_t h = internal::output_length(in[1], pool.h, strides.h, 1, padding);
  const std::int64_t w = internal::output_length(in[2], pool.w, strides.w, 1, padding);
  if (h == 0 || w == 0) {
    throw ShapeError(layer + ": a " + std::to_string(pool.h) + "x" + std::to_string(pool.w) +
                     " pool with padding=\"" + padding + "\" does not fit the input shape " +
                     to_string(in) + " (the image is already smaller than the window)");
  }
  return Shape{in[0], h, w, in[3]};
}

ops::Pool2DOptions pool_options(Size2 pool, Size2 strides, const std::string& padding) {
  return {pool.h, pool.w, strides.h, strides.w, padding};
}

Shape global_pool_shape(const Shape& in, bool keepdims) {
  return keepdims ? Shape{in[0], 1, 1, in[3]} : Shape{in[0], in[3]};
}
}  // namespace

MaxPooling2DImpl::MaxPooling2DImpl(Size2 pool_size, MaxPooling2DOptions options)
    : Layer("MaxPooling2D", options.name), pool_size_(pool_size), options_(std::move(options)) {
  if (!options_.strides) options_.strides = pool_size_;
  check_pool_args(pool_size_, *options_.strides, options_.padding, options_.data_format, describe());
}
Shape MaxPooling2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return pool_output_shape(single_input(shapes, 4, 4), pool_size_, *options_.strides,
                           options_.padding, describe());
}
Tensor MaxPooling2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::max_pool2d(inputs.front(), pool_options(pool_size_, *options_.strides, options_.padding));
}
MaxPooling2D::MaxPooling2D(Size2 pool_size, MaxPooling2DOptions options)
    : LayerHandle(std::make_shared<MaxPooling2DImpl>(pool_size, std::move(options))) {}

AveragePooling2DImpl::AveragePooling2DImpl(Size2 pool_size, AveragePooling2DOptions options)
    : Layer("AveragePooling2D", options.name), pool_size_(pool_size), options_(std::move(options)) {
  if (!options_.strides) options_.strides = pool_size_;
  check_pool_args(pool_size_, *options_.strides, options_.padding, options_.data_format, describe());
}
Shape AveragePooling2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return pool_output_shape(single_input(shapes, 4, 4), pool_size_, *options_.strides,
                           options_.padding, describe());
}
Tensor AveragePooling2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::average_pool2d(inputs.front(),
                             pool_options(pool_size_, *options_.strides, options_.padding));
}
AveragePooling2D::AveragePooling2D(Size2 pool_size, AveragePooling2DOptions options)
    : LayerHandle(std::make_shared<AveragePooling2DImpl>(pool_size, std::move(options))) {}

GlobalAveragePooling2DImpl::GlobalAveragePooling2DImpl(GlobalAveragePooling2DOptions options)
    : Layer("GlobalAveragePooling2D", options.name), options_(std::move(options)) {
  internal::require_channels_last(options_.data_format, describe());
}
Shape GlobalAveragePooling2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return global_pool_shape(single_input(shapes, 4, 4), options_.keepdims);
}
Tensor GlobalAveragePooling2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::global_average_pool2d(inputs.front(), options_.keepdims);
}
GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalAveragePooling2DOptions options)
    : LayerHandle(std::make_shared<GlobalAveragePooling2DImpl>(std::move(options))) {}

GlobalMaxPooling2DImpl::GlobalMaxPooling2DImpl(GlobalMaxPooling2DOptions options)
    : Layer("GlobalMaxPooling2D", options.name), options_(std::move(options)) {
  internal::require_channels_last(options_.data_format, describe());
}
Shape GlobalMaxPooling2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return global_pool_shape(single_input(shapes, 4, 4), options_.keepdims);
}
Tensor GlobalMaxPooling2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::global_max_pool2d(inputs.front(), options_.keepdims);
}
GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalMaxPooling2DOptions options)
    : LayerHandle(std::make_shared<GlobalMaxPooling2DImpl>(std::move(options))) {}

// Keras configs, and the factories that read them back. The max and average layers of each
// kind take the same arguments.

namespace {

template <class Options>
nlohmann::json pooling_arguments(Size2 pool_size, const Options& o) {
  using keras::internal::pair;
  return {{"pool_size", pair(pool_size)},
          {"padding", o.padding},
          {"strides", pair(o.strides.value_or(pool_size))},
          {"data_format", "channels_last"}};
}

template <class Options>
nlohmann::json global_pooling_arguments(const Options& o) {
  return {{"data_format", o.data_format}, {"keepdims", o.keepdims}};
}

template <class Pooling>
LayerPtr make_pooling2d(const keras::internal::ConfigArgs& a) {
  const Size2 pool = a.size2("pool_size", 2);
  return Pooling(pool, {.strides = a.size2("strides", pool),
                        .padding = a.string("padding", "valid"),
                        .data_format = a.string("data_format", "channels_last"),
                        .name = a.name()});
}

template <class GlobalPooling>
LayerPtr make_global_pooling2d(const keras::internal::ConfigArgs& a) {
  return GlobalPooling({.data_format = a.string("data_format", "channels_last"),
                        .keepdims = a.boolean("keepdims", false),
                        .name = a.name()});
}

}  // namespace

nlohmann::json MaxPooling2DImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config.update(pooling_arguments(pool_size(), options()));
  return config;
}

nlohmann::json AveragePooling2DImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config.update(pooling_arguments(pool_size(), options()));
  return config;
}

nlohmann::json GlobalAveragePooling2DImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config.update(global_pooling_arguments(options()));
  return config;
}

nlohmann::json GlobalMaxPooling2DImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config.update(global_pooling_arguments(options()));
  return config;
}

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(MaxPooling2D, keras::layers::make_pooling2d<keras::layers::MaxPooling2D>, R"({"config": {"pool_size": [2, 3], "strides": 1, "padding": "same"}, "inputs": [[null, 5, 6, 2]]})")
KERASCPP_REGISTER_LAYER(AveragePooling2D, keras::layers::make_pooling2d<keras::layers::AveragePooling2D>, R"({"config": {"pool_size": [2, 3], "strides": 1, "padding": "same"}, "inputs": [[null, 5, 6, 2]]})")
KERASCPP_REGISTER_LAYER(GlobalAveragePooling2D, keras::layers::make_global_pooling2d<keras::layers::GlobalAveragePooling2D>, R"({"config": {"keepdims": true}, "inputs": [[null, 4, 4, 3]]})")
KERASCPP_REGISTER_LAYER(GlobalMaxPooling2D, keras::layers::make_global_pooling2d<keras::layers::GlobalMaxPooling2D>, R"({"config": {"keepdims": true}, "inputs": [[null, 4, 4, 3]]})")
