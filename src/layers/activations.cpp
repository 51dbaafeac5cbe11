// Activation, ReLU, LeakyReLU, ELU, Softmax.
#include <limits>

#include "../saving/config_support.hpp"

#include "keras/layers/activation.hpp"
#include "keras/layers/elu.hpp"
#include "keras/layers/leaky_re_lu.hpp"
#include "keras/layers/re_lu.hpp"
#include "keras/layers/softmax.hpp"
#include "keras/ops/activation.hpp"

namespace keras::layers {

ActivationImpl::ActivationImpl(const std::string& activation, ActivationOptions options)
    : Layer("Activation", options.name), activation_(ops::canonical_activation(activation)) {}
Shape ActivationImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return single_input(shapes, 1, 8);
}
Tensor ActivationImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::get_activation(activation_)(inputs.front());
}
Activation::Activation(const std::string& activation, ActivationOptions options)
    : LayerHandle(std::make_shared<ActivationImpl>(activation, std::move(options))) {}

ReLUImpl::ReLUImpl(ReLUOptions options) : Layer("ReLU", options.name), options_(std::move(options)) {
  if (options_.max_value && *options_.max_value < 0.0f) {
    throw ValueError(describe() + ": max_value must be >= 0, got " + std::to_string(*options_.max_value));
  }
  if (options_.negative_slope < 0.0f) {
    throw ValueError(describe() + ": negative_slope must be >= 0, got " +
                     std::to_string(options_.negative_slope));
  }
}
Shape ReLUImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return single_input(shapes, 1, 8);
}
Tensor ReLUImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::relu(inputs.front(),
                   {options_.negative_slope, options_.threshold,
                    options_.max_value.value_or(std::numeric_limits<float>::infinity())});
}
ReLU::ReLU(ReLUOptions options) : LayerHandle(std::make_shared<ReLUImpl>(std::move(options))) {}

LeakyReLUImpl::LeakyReLUImpl(LeakyReLUOptions options)
    : Layer("LeakyReLU", options.name), options_(std::move(options)) {
  if (options_.negative_slope < 0.0f) {
    throw ValueError(describe() + ": negative_slope must be >= 0, got " +
                     std::to_string(options_.negative_slope));
  }
}
Shape LeakyReLUImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return single_input(shapes, 1, 8);
}
Tensor LeakyReLUImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::leaky_relu(inputs.front(), options_.negative_slope);
}
LeakyReLU::LeakyReLU(LeakyReLUOptions options)
    : LayerHandle(std::make_shared<LeakyReLUImpl>(std::move(options))) {}

ELUImpl::ELUImpl(ELUOptions options) : Layer("ELU", options.name), options_(std::move(options)) {}
Shape ELUImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  return single_input(shapes, 1, 8);
}
Tensor ELUImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::elu(inputs.front(), options_.alpha);
}
ELU::ELU(ELUOptions options) : LayerHandle(std::make_shared<ELUImpl>(std::move(options))) {}

SoftmaxImpl::SoftmaxImpl(SoftmaxOptions options)
    : Layer("Softmax", options.name), options_(std::move(options)) {}
Shape SoftmaxImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 1, 8);
  if (in.normalize_axis(options_.axis) != in.rank() - 1) {
    throw ValueError(describe() + ": only the last axis is supported, got axis=" +
                     std::to_string(options_.axis) + " for input shape " + to_string(in));
  }
  return in;
}
Tensor SoftmaxImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::softmax(inputs.front());
}
Softmax::Softmax(SoftmaxOptions options)
    : LayerHandle(std::make_shared<SoftmaxImpl>(std::move(options))) {}

// Keras configs, and the factories that read them back.

nlohmann::json ActivationImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"activation", activation()}});
  return config;
}

nlohmann::json ReLUImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"max_value", options().max_value ? json(*options().max_value) : json(nullptr)},
                 {"negative_slope", options().negative_slope},
                 {"threshold", options().threshold}});
  return config;
}

nlohmann::json LeakyReLUImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"negative_slope", options().negative_slope}});
  return config;
}

nlohmann::json ELUImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"alpha", options().alpha}});
  return config;
}

nlohmann::json SoftmaxImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"axis", options().axis}});
  return config;
}

namespace {

LayerPtr make_activation(const keras::internal::ConfigArgs& a) {
  return Activation(a.activation("activation"), {.name = a.name()});
}

LayerPtr make_re_lu(const keras::internal::ConfigArgs& a) {
  std::optional<float> max_value;
  if (a.present("max_value")) max_value = static_cast<float>(a.number("max_value", 0.0));
  return ReLU({.max_value = max_value,
               .negative_slope = static_cast<float>(a.number("negative_slope", 0.0)),
               .threshold = static_cast<float>(a.number("threshold", 0.0)),
               .name = a.name()});
}

LayerPtr make_leaky_re_lu(const keras::internal::ConfigArgs& a) {
  return LeakyReLU(
      {.negative_slope = static_cast<float>(a.number_any({"negative_slope", "alpha"}, 0.3)), .name = a.name()});
}

LayerPtr make_elu(const keras::internal::ConfigArgs& a) {
  return ELU({.alpha = static_cast<float>(a.number("alpha", 1.0)), .name = a.name()});
}

LayerPtr make_softmax(const keras::internal::ConfigArgs& a) {
  return Softmax({.axis = static_cast<int>(a.integer("axis", -1)), .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Activation, keras::layers::make_activation, R"({"config": {"activation": "selu"}, "inputs": [[null, 5]]})")
KERASCPP_REGISTER_LAYER(ReLU, keras::layers::make_re_lu, R"({"config": {"max_value": 6.0, "negative_slope": 0.5, "threshold": 0.25}, "inputs": [[null, 5]]})")
KERASCPP_REGISTER_LAYER(LeakyReLU, keras::layers::make_leaky_re_lu, R"({"config": {"negative_slope": 0.1}, "inputs": [[null, 5]]})")
KERASCPP_REGISTER_LAYER(ELU, keras::layers::make_elu, R"({"config": {"alpha": 0.5}, "inputs": [[null, 5]]})")
KERASCPP_REGISTER_LAYER(Softmax, keras::layers::make_softmax, R"({"config": {"axis": -1}, "inputs": [[null, 3, 4]]})")
