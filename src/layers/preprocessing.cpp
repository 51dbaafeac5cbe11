// Resizing and Rescaling.
#include "keras/layers/rescaling.hpp"

#include "../saving/config_support.hpp"
#include "keras/layers/resizing.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"
#include "layer_checks.hpp"

namespace keras::layers {

ResizingImpl::ResizingImpl(std::int64_t height, std::int64_t width, ResizingOptions options)
    : Layer("Resizing", options.name), height_(height), width_(width), options_(std::move(options)) {
  internal::require_positive(height, "height", describe());
  internal::require_positive(width, "width", describe());
  internal::require_channels_last(options_.data_format, describe());
  if (options_.interpolation != "bilinear" && options_.interpolation != "nearest") {
    throw ValueError(describe() + ": interpolation \"" + options_.interpolation +
                     "\" is not supported; use \"bilinear\" or \"nearest\"");
  }
  if (options_.crop_to_aspect_ratio) {
    throw ValueError(describe() + ": crop_to_aspect_ratio=true is not supported yet; crop with "
                                  "a Cropping2D layer before resizing");
  }
}

Shape ResizingImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 4, 4);
  return Shape{in[0], height_, width_, in[3]};
}

Tensor ResizingImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::resize(inputs.front(), height_, width_, options_.interpolation);
}

Resizing::Resizing(std::int64_t height, std::int64_t width, ResizingOptions options)
    : LayerHandle(std::make_shared<ResizingImpl>(height, width, std::move(options))) {}

RescalingImpl::RescalingImpl(float scale, RescalingOptions options)
    : Layer("Rescaling", options.name), scale_(scale), options_(std::move(options)) {}

Shape RescalingImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return single_input(shapes, 1, 8);
}

Tensor RescalingImpl::call(const std::vector<Tensor>& inputs, bool) {
  // Keras casts integer images to the compute dtype first; so do we.
  const Tensor x = ops::cast(inputs.front(), compute_dtype());
  return ops::affine(x, scale_, options_.offset);
}

Rescaling::Rescaling(float scale, RescalingOptions options)
    : LayerHandle(std::make_shared<RescalingImpl>(scale, std::move(options))) {}

// Keras configs, and the factories that read them back.

nlohmann::json RescalingImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"scale", scale()}, {"offset", offset()}});
  return config;
}

nlohmann::json ResizingImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"height", height()},
                 {"width", width()},
                 {"interpolation", options().interpolation},
                 {"crop_to_aspect_ratio", options().crop_to_aspect_ratio},
                 {"data_format", options().data_format}});
  return config;
}

namespace {

LayerPtr make_rescaling(const keras::internal::ConfigArgs& a) {
  return Rescaling(static_cast<float>(a.number("scale", 1.0)),
                   {.offset = static_cast<float>(a.number("offset", 0.0)), .name = a.name()});
}

LayerPtr make_resizing(const keras::internal::ConfigArgs& a) {
  return Resizing(a.integer("height", 0), a.integer("width", 0),
                  {.interpolation = a.string("interpolation", "bilinear"),
                   .crop_to_aspect_ratio = a.boolean("crop_to_aspect_ratio", false),
                   .data_format = a.string("data_format", "channels_last"),
                   .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Rescaling, keras::layers::make_rescaling, R"({"config": {"scale": 0.5, "offset": -1.0}, "inputs": [[null, 4, 4, 3]]})")
KERASCPP_REGISTER_LAYER(Resizing, keras::layers::make_resizing, R"({"config": {"height": 5, "width": 3, "interpolation": "nearest"}, "inputs": [[null, 8, 6, 3]]})")
