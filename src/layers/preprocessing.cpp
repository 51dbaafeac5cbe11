// Resizing and Rescaling.
#include "keras/layers/rescaling.hpp"
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

}  // namespace keras::layers
