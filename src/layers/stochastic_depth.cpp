#include "keras/layers/stochastic_depth.hpp"

#include "../saving/config_support.hpp"
#include "keras/ops/math.hpp"

namespace keras::layers {

StochasticDepthImpl::StochasticDepthImpl(float rate, StochasticDepthOptions options)
    : MergeLayer("StochasticDepth", options.name), rate_(rate), options_(std::move(options)), seeds_(options_.seed) {
  if (!(rate_ >= 0.0f && rate_ < 1.0f)) {
    throw ValueError(describe() + ": rate (the probability of dropping the residual) must be in [0, 1), got " +
                     std::to_string(rate_));
  }
}

Tensor StochasticDepthImpl::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& shortcut = inputs[0];
  const Tensor& residual = inputs[1];
  const float survival = 1.0f - rate_;
  if (!training) return ops::add(shortcut, ops::multiply(residual, Tensor::scalar(survival).astype(residual.dtype())));
  // One Bernoulli(survival) draw, kept on the backend: keep = [u < survival].
  const Tensor u = random::uniform({}, {.seed = seeds_.next()});
  const Tensor keep = ops::greater(Tensor::scalar(survival), u).astype(residual.dtype());
  return ops::add(shortcut, ops::multiply(residual, keep));
}

nlohmann::json StochasticDepthImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config.update({{"rate", rate_}, {"seed", options_.seed ? nlohmann::json(*options_.seed) : nlohmann::json(nullptr)}});
  return config;
}

StochasticDepth::StochasticDepth(float rate, StochasticDepthOptions options)
    : LayerHandle(std::make_shared<StochasticDepthImpl>(rate, std::move(options))) {}

namespace {

LayerPtr make_stochastic_depth(const keras::internal::ConfigArgs& a) {
  return StochasticDepth(static_cast<float>(a.number("rate", 0.5)), {.seed = a.seed("seed"), .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(StochasticDepth, keras::layers::make_stochastic_depth, R"({"config": {"rate": 0.25, "seed": 3}, "inputs": [[null, 4, 4, 3], [null, 4, 4, 3]]})")
