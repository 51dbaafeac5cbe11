#include "keras/optimizers/loss_scale_optimizer.hpp"

#include <cmath>

#include "keras/core/autograd.hpp"
#include "keras/internal/capture_recording.hpp"
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

bool LossScaleOptimizer::records_update(const std::vector<VariablePtr>& variables) const {
  return inner_->records_update(variables);
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
  const auto unscaled = [&] {
    std::vector<Tensor> out;
    out.reserve(gradients.size());
    for (const auto& g : gradients) {
      out.push_back(ops::divide(g, Tensor::scalar(static_cast<float>(scale_), &g.backend())));
    }
    return out;
  };
  if (internal::CaptureRecording::active()) {
    // Recorded whole, the host cannot look at the gradients: their finiteness becomes a device
    // flag that lets the inner update happen or not when it runs, and is read after each replay
    // (one synchronization per step, as op by op) to count the step and move the scale.
    const Tensor finite = probe.defined() ? ops::equal(probe, Tensor::scalar(0.0f, &probe.backend())) : Tensor{};
    inner_->update(unscaled(), variables, finite);
    internal::every_step([this, finite] { count_step(!finite.defined() || finite.item<float>() != 0.0f); });
    return;
  }
  const bool finite = !probe.defined() || std::isfinite(probe.item<float>());
  if (finite) inner_->update(unscaled(), variables, Tensor{});
  count_step(finite);
}

void LossScaleOptimizer::count_step(bool finite) {
  if (!finite) {  // the step was skipped
    step_counter_ = 0;
    scale_ *= 0.5;
    return;
  }
  ++inner_->iterations_;
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
