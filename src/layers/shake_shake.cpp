#include "keras/layers/shake_shake.hpp"

#include "../saving/config_support.hpp"
#include "keras/ops/custom_gradient.hpp"
#include "keras/ops/math.hpp"

namespace keras::layers {

ShakeShakeImpl::ShakeShakeImpl(ShakeShakeOptions options)
    : MergeLayer("ShakeShake", options.name), options_(std::move(options)), seeds_(options_.seed) {}

namespace {
// a * x1 + (1 - a) * x2, with a broadcast over every axis but the batch.
Tensor mix(const Tensor& x1, const Tensor& x2, const Tensor& a) {
  return ops::add(ops::multiply(x1, a), ops::multiply(x2, ops::affine(a, -1.0f, 1.0f)));
}
}  // namespace

Tensor ShakeShakeImpl::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& x1 = inputs[0];
  const Tensor& x2 = inputs[1];
  if (!training) return ops::multiply(ops::add(x1, x2), Tensor::scalar(0.5f).astype(x1.dtype()));
  std::vector<std::int64_t> coefficient_shape(static_cast<std::size_t>(x1.rank()), 1);
  coefficient_shape[0] = x1.dim(0);
  const Tensor alpha = random::uniform(Shape(coefficient_shape), {.seed = seeds_.next()}).astype(x1.dtype());
  const Tensor beta = random::uniform(Shape(coefficient_shape), {.seed = seeds_.next()}).astype(x1.dtype());
  return ops::custom_gradient(
      {x1, x2}, [alpha](const std::vector<Tensor>& v) { return mix(v[0], v[1], alpha); },
      [beta](const Tensor& dy) {
        return std::vector<Tensor>{ops::multiply(dy, beta), ops::multiply(dy, ops::affine(beta, -1.0f, 1.0f))};
      },
      "shake_shake");
}

nlohmann::json ShakeShakeImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config["seed"] = options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr);
  return config;
}

ShakeShake::ShakeShake(ShakeShakeOptions options) : LayerHandle(std::make_shared<ShakeShakeImpl>(std::move(options))) {}

namespace {

LayerPtr make_shake_shake(const keras::internal::ConfigArgs& a) {
  return ShakeShake({.seed = a.seed("seed"), .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(ShakeShake, keras::layers::make_shake_shake, R"({"config": {"seed": 5}, "inputs": [[null, 4, 4, 3], [null, 4, 4, 3]]})")
