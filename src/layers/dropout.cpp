// Dropout and SpatialDropout2D.
#include "keras/layers/dropout.hpp"
#include "keras/layers/spatial_dropout2d.hpp"
#include "keras/ops/nn.hpp"
#include "layer_checks.hpp"

namespace keras::layers {

namespace {
void check_rate(float rate, const std::string& layer) {
  if (!(rate >= 0.0f && rate < 1.0f)) {
    throw ValueError(layer + ": rate must be in [0, 1), got " + std::to_string(rate));
  }
}
}  // namespace

DropoutImpl::DropoutImpl(float rate, DropoutOptions options)
    : Layer("Dropout", options.name), rate_(rate), options_(std::move(options)),
      seeds_(options_.seed) {
  check_rate(rate_, describe());
}

Shape DropoutImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 1, 8);
  if (options_.noise_shape && options_.noise_shape->rank() != in.rank()) {
    throw ShapeError(describe() + ": noise_shape " + to_string(*options_.noise_shape) +
                     " must have the rank of the input shape " + to_string(in));
  }
  return in;
}

Tensor DropoutImpl::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& x = inputs.front();
  if (!training || rate_ == 0.0f) return x;
  std::optional<Shape> noise;
  if (options_.noise_shape) {
    noise = *options_.noise_shape;
    for (int i = 0; i < x.rank(); ++i) {
      if ((*noise)[i] < 0) (*noise)[i] = x.dim(i);
    }
  }
  return ops::dropout(x, rate_, seeds_.next(), noise);
}

Dropout::Dropout(float rate, DropoutOptions options)
    : LayerHandle(std::make_shared<DropoutImpl>(rate, std::move(options))) {}

SpatialDropout2DImpl::SpatialDropout2DImpl(float rate, SpatialDropout2DOptions options)
    : Layer("SpatialDropout2D", options.name), rate_(rate), options_(std::move(options)),
      seeds_(options_.seed) {
  check_rate(rate_, describe());
  internal::require_channels_last(options_.data_format, describe());
}

Shape SpatialDropout2DImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return single_input(shapes, 4, 4);
}

Tensor SpatialDropout2DImpl::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& x = inputs.front();
  if (!training || rate_ == 0.0f) return x;
  return ops::dropout(x, rate_, seeds_.next(), Shape{x.dim(0), 1, 1, x.dim(3)});
}

SpatialDropout2D::SpatialDropout2D(float rate, SpatialDropout2DOptions options)
    : LayerHandle(std::make_shared<SpatialDropout2DImpl>(rate, std::move(options))) {}

}  // namespace keras::layers
