// Flatten, Reshape, ZeroPadding2D, Cropping2D.
#include <algorithm>

#include "../saving/config_support.hpp"

#include "keras/layers/cropping2d.hpp"
#include "keras/layers/flatten.hpp"
#include "keras/layers/reshape.hpp"
#include "keras/layers/zero_padding2d.hpp"
#include "keras/ops/array.hpp"
#include "layer_checks.hpp"

namespace keras::layers {

FlattenImpl::FlattenImpl(FlattenOptions options)
    : Layer("Flatten", options.name), options_(std::move(options)) {
  internal::require_channels_last(options_.data_format, describe());
}

Shape FlattenImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 1, 8);
  const Shape rest = in.without_batch();
  return Shape{in[0], rest.fully_defined() ? rest.num_elements() : -1};
}

Tensor FlattenImpl::call(const std::vector<Tensor>& inputs, bool) {
  const Tensor& x = inputs.front();
  return x.rank() == 1 ? ops::reshape(x, {x.dim(0), 1}) : ops::flatten(x);
}

Flatten::Flatten(FlattenOptions options)
    : LayerHandle(std::make_shared<FlattenImpl>(std::move(options))) {}

ReshapeImpl::ReshapeImpl(Shape target_shape, ReshapeOptions options)
    : Layer("Reshape", options.name), target_shape_(std::move(target_shape)) {
  int unknown = 0;
  for (auto d : target_shape_) {
    if (d == -1) ++unknown;
    else if (d < 1) throw ValueError(describe() + ": target_shape " + to_string(target_shape_) + " has a dimension below 1");
  }
  if (unknown > 1) {
    throw ValueError(describe() + ": target_shape " + to_string(target_shape_) +
                     " may have at most one unknown (-1) dimension");
  }
}

Shape ReshapeImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 1, 8);
  const Shape rest = in.without_batch();
  std::vector<std::int64_t> dims = target_shape_.dims();
  std::int64_t known = 1;
  for (auto d : dims) known *= d == -1 ? 1 : d;
  if (rest.fully_defined()) {
    const std::int64_t total = rest.num_elements();
    const bool has_unknown = std::find(dims.begin(), dims.end(), -1) != dims.end();
    if ((has_unknown && total % known != 0) || (!has_unknown && total != known)) {
      throw ShapeError(describe() + ": cannot reshape input shape " + to_string(in) + " (" +
                       std::to_string(total) + " values per sample) into " +
                       to_string(target_shape_));
    }
    for (auto& d : dims) {
      if (d == -1) d = total / known;
    }
  }
  return Shape(dims).with_batch(in[0]);
}

Tensor ReshapeImpl::call(const std::vector<Tensor>& inputs, bool) {
  const Tensor& x = inputs.front();
  return ops::reshape(x, target_shape_.with_batch(x.dim(0)));
}

Reshape::Reshape(Shape target_shape, ReshapeOptions options)
    : LayerHandle(std::make_shared<ReshapeImpl>(std::move(target_shape), std::move(options))) {}

namespace {
void check_amounts(const Padding2D& p, const char* what, const std::string& layer) {
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) {
    throw ValueError(layer + ": " + what + " amounts must be non-negative");
  }
}
std::int64_t grown(std::int64_t d, std::int64_t by) { return d < 0 ? -1 : d + by; }
}  // namespace

ZeroPadding2DImpl::ZeroPadding2DImpl(Padding2D padding, ZeroPadding2DOptions options)
    : Layer("ZeroPadding2D", options.name), padding_(padding) {
  internal::require_channels_last(options.data_format, describe());
  check_amounts(padding_, "padding", describe());
}

Shape ZeroPadding2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 4, 4);
  return Shape{in[0], grown(in[1], padding_.top + padding_.bottom),
               grown(in[2], padding_.left + padding_.right), in[3]};
}

Tensor ZeroPadding2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::zero_pad2d(inputs.front(), padding_.top, padding_.bottom, padding_.left,
                         padding_.right);
}

ZeroPadding2D::ZeroPadding2D(Padding2D padding, ZeroPadding2DOptions options)
    : LayerHandle(std::make_shared<ZeroPadding2DImpl>(padding, std::move(options))) {}

Cropping2DImpl::Cropping2DImpl(Padding2D cropping, Cropping2DOptions options)
    : Layer("Cropping2D", options.name), cropping_(cropping) {
  internal::require_channels_last(options.data_format, describe());
  check_amounts(cropping_, "cropping", describe());
}

Shape Cropping2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 4, 4);
  const std::int64_t h = grown(in[1], -(cropping_.top + cropping_.bottom));
  const std::int64_t w = grown(in[2], -(cropping_.left + cropping_.right));
  if ((in[1] >= 0 && h < 1) || (in[2] >= 0 && w < 1)) {
    throw ShapeError(describe() + ": cropping ((" + std::to_string(cropping_.top) + ", " +
                     std::to_string(cropping_.bottom) + "), (" + std::to_string(cropping_.left) +
                     ", " + std::to_string(cropping_.right) + ")) leaves nothing of input shape " +
                     to_string(in));
  }
  return Shape{in[0], h, w, in[3]};
}

Tensor Cropping2DImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::crop2d(inputs.front(), cropping_.top, cropping_.bottom, cropping_.left,
                     cropping_.right);
}

Cropping2D::Cropping2D(Padding2D cropping, Cropping2DOptions options)
    : LayerHandle(std::make_shared<Cropping2DImpl>(cropping, std::move(options))) {}

// Keras configs, and the factories that read them back.

nlohmann::json FlattenImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"data_format", options().data_format}});
  return config;
}

nlohmann::json ReshapeImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"target_shape", target_shape().dims()}});
  return config;
}

nlohmann::json ZeroPadding2DImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"padding", padding_config(padding())}, {"data_format", "channels_last"}});
  return config;
}

nlohmann::json Cropping2DImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"cropping", padding_config(cropping())}, {"data_format", "channels_last"}});
  return config;
}

namespace {

LayerPtr make_flatten(const keras::internal::ConfigArgs& a) {
  return Flatten({.data_format = a.string("data_format", "channels_last"), .name = a.name()});
}

LayerPtr make_reshape(const keras::internal::ConfigArgs& a) {
  const nlohmann::json& v = a.present("target_shape") ? a.at("target_shape") : nlohmann::json(nullptr);
  if (!v.is_array()) a.fail("target_shape", "must be a list of integers, got " + v.dump());
  std::vector<std::int64_t> dims;
  for (const auto& d : v) {
    if (!d.is_number_integer()) a.fail("target_shape", "must be a list of integers, got " + v.dump());
    dims.push_back(d.get<std::int64_t>());
  }
  return Reshape(Shape(dims), {.name = a.name()});
}

LayerPtr make_zero_padding2d(const keras::internal::ConfigArgs& a) {
  return ZeroPadding2D(a.padding2d("padding", 1),
                       {.data_format = a.string("data_format", "channels_last"), .name = a.name()});
}

LayerPtr make_cropping2d(const keras::internal::ConfigArgs& a) {
  return Cropping2D(a.padding2d("cropping", 0),
                    {.data_format = a.string("data_format", "channels_last"), .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Flatten, keras::layers::make_flatten, R"({"config": {}, "inputs": [[null, 3, 4, 2]]})")
KERASCPP_REGISTER_LAYER(Reshape, keras::layers::make_reshape, R"({"config": {"target_shape": [6, 2]}, "inputs": [[null, 3, 4]]})")
KERASCPP_REGISTER_LAYER(ZeroPadding2D, keras::layers::make_zero_padding2d, R"({"config": {"padding": [[1, 0], [2, 3]]}, "inputs": [[null, 4, 4, 2]]})")
KERASCPP_REGISTER_LAYER(Cropping2D, keras::layers::make_cropping2d, R"({"config": {"cropping": [[1, 0], [0, 2]]}, "inputs": [[null, 5, 5, 2]]})")
