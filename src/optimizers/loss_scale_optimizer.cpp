#include "keras/optimizers/loss_scale_optimizer.hpp"

#include <cmath>

#include "keras/core/autograd.hpp"
#include "keras/ops/math.hpp"

namespace keras::optimizers {

LossScaleOptimizer::LossScaleOptimizer(OptimizerPtr inner_optimizer, double initial_scale,
                                       std::int64_t dynamic_growth_steps)
    : Optimizer("LossScaleOptimizer", LearningRate(0.0), {}),
      inner_(std::move(inner_optimizer)),
      initial_scale_(initial_scale),
      dynamic_growth_steps_(dynamic_growth_steps),
      scale_(initial_scale) {
  if (!inner_) throw ValueError("LossScaleOptimizer: the inner optimizer is null");
  if (dynamic_cast<const LossScaleOptimizer*>(inner_.get())) {
    throw ValueError("LossScaleOptimizer: the inner optimizer is a LossScaleOptimizer already");
  }
  if (!(initial_scale > 0.0) || !std::isfinite(initial_scale)) {
    throw ValueError("LossScaleOptimizer: initial_scale must be a positive number, got " + std::to_string(initial_scale));
  }
  if (dynamic_growth_steps < 1) {
    throw ValueError("LossScaleOptimizer: dynamic_growth_steps must be at least 1, got " +
                     std::to_string(dynamic_growth_steps));
  }
}

Tensor LossScaleOptimizer::scale_loss(const Tensor& loss) const { return loss * static_cast<float>(scale_); }

void LossScaleOptimizer::build(const std::vector<VariablePtr>& variables) { inner_->build_for(variables); }

void LossScaleOptimizer::update_step(const Tensor& gradient, Variable& variable, std::size_t index,
                                     double learning_rate) {
  inner_->update_step(gradient, variable, index, learning_rate);
}

void LossScaleOptimizer::apply(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables) {
  NoGradGuard no_grad;
  build_for(variables);
  // g - g is 0 where g is finite and NaN where it is not: one scalar tells all gradients apart.
  Tensor probe;
  for (const auto& g : gradients) {
    const Tensor s = ops::sum(ops::subtract(g, g));
    probe = probe.defined() ? probe + s : s;
  }
  const bool finite = !probe.defined() || std::isfinite(probe.item<float>());
  if (!finite) {  // skip the step
    step_counter_ = 0;
    scale_ *= 0.5;
    return;
  }
  std::vector<Tensor> unscaled;
  unscaled.reserve(gradients.size());
  for (const auto& g : gradients) {
    unscaled.push_back(ops::divide(g, Tensor::scalar(static_cast<float>(scale_), &g.backend())));
  }
  inner_->apply(unscaled, variables);
  if (step_counter_ == dynamic_growth_steps_ - 1) {
    step_counter_ = 0;
    scale_ *= 2.0;
  } else {
    ++step_counter_;
  }
}

std::vector<std::pair<std::string, double>> LossScaleOptimizer::hyperparameters() const {
  return {{"initial_scale", initial_scale_}, {"dynamic_growth_steps", static_cast<double>(dynamic_growth_steps_)}};
}

const Optimizer& saved_optimizer(const Optimizer& optimizer) {
  if (const auto* scaled = dynamic_cast<const LossScaleOptimizer*>(&optimizer)) return *scaled->inner_optimizer();
  return optimizer;
}
Optimizer& saved_optimizer(Optimizer& optimizer) {
  return const_cast<Optimizer&>(saved_optimizer(static_cast<const Optimizer&>(optimizer)));
}

}  // namespace keras::optimizers
