// Dropout and SpatialDropout2D.
#include "keras/layers/dropout.hpp"

#include "../saving/config_support.hpp"
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

// Keras configs, and the factories that read them back.

nlohmann::json DropoutImpl::get_config() const {
  using namespace keras::internal;
  json noise = nullptr;
  if (options().noise_shape) {
    noise = json::array();
    for (auto d : *options().noise_shape) noise.push_back(d < 0 ? json(nullptr) : json(d));
  }
  json config = Layer::get_config();
  config.update(
      {{"rate", rate()}, {"noise_shape", noise}, {"seed", options().seed ? json(*options().seed) : json(nullptr)}});
  return config;
}

nlohmann::json SpatialDropout2DImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"rate", rate()},
                 {"data_format", options().data_format},
                 {"seed", options().seed ? json(*options().seed) : json(nullptr)}});
  config.erase("trainable");  // Keras' SpatialDropout2D takes no `trainable` (its from_config refuses it)
  return config;
}

namespace {

LayerPtr make_dropout(const keras::internal::ConfigArgs& a) {
  std::optional<Shape> noise;
  if (a.present("noise_shape")) {
    const nlohmann::json& v = a.at("noise_shape");
    if (!v.is_array()) a.fail("noise_shape", "must be a list, got " + v.dump());
    std::vector<std::int64_t> dims;
    for (const auto& d : v) {
      if (!d.is_null() && !d.is_number_integer()) a.fail("noise_shape", "must hold integers or null");
      dims.push_back(d.is_null() ? -1 : d.get<std::int64_t>());
    }
    noise = Shape(dims);
  }
  return Dropout(static_cast<float>(a.number_any({"rate", "p"}, 0.5)),
                 {.noise_shape = noise, .seed = a.seed("seed"), .name = a.name()});
}

LayerPtr make_spatial_dropout2d(const keras::internal::ConfigArgs& a) {
  return SpatialDropout2D(
      static_cast<float>(a.number_any({"rate", "p"}, 0.5)),
      {.data_format = a.string("data_format", "channels_last"), .seed = a.seed("seed"), .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Dropout, keras::layers::make_dropout, R"({"config": {"rate": 0.3, "noise_shape": [null, 1, 4], "seed": 7}, "inputs": [[null, 3, 4]]})")
KERASCPP_REGISTER_LAYER(SpatialDropout2D, keras::layers::make_spatial_dropout2d, R"({"config": {"rate": 0.2, "seed": 3}, "inputs": [[null, 4, 4, 3]]})")
