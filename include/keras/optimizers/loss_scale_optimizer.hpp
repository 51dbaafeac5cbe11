#pragma once
// keras.optimizers.LossScaleOptimizer: dynamic loss scaling for float16 training, the optimizer
// compile() wraps around the given one under the "mixed_float16" policy, as Keras 3 does.
// Training differentiates loss * scale, so small float16 gradients do not underflow; apply()
// then checks every gradient: all finite, it divides them by the scale and lets the inner
// optimizer update (after `dynamic_growth_steps` such steps in a row the scale doubles); any
// infinity or NaN, the step is skipped and the scale halves. The finiteness of a step's
// gradients is read on the host (one synchronization per step): whether the inner optimizer
// ran, and so its step counter, is host state. In a recorded whole step (compile's
// jit_compile) the finiteness is a device flag that gates the inner update where it runs, and
// the host reads it after each replay.
#include <cstdint>

#include "keras/optimizers/optimizer.hpp"

namespace keras::optimizers {

class LossScaleOptimizer : public Optimizer {
 public:
  explicit LossScaleOptimizer(OptimizerPtr inner_optimizer, double initial_scale = 32768.0,
                              std::int64_t dynamic_growth_steps = 2000);

  void apply(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables) override;
  // As the inner optimizer's: a recorded step gates its update on the gradients' finiteness.
  bool records_update(const std::vector<VariablePtr>& variables) const override;
  Tensor scale_loss(const Tensor& loss) const override;
  // The learning rate and step counter are the inner optimizer's (Keras' properties).
  double learning_rate() const override { return inner_->learning_rate(); }
  void set_learning_rate(double value) override { inner_->set_learning_rate(value); }
  std::int64_t iterations() const override { return inner_->iterations(); }
  bool has_schedule() const override { return inner_->has_schedule(); }
  std::vector<std::pair<std::string, double>> hyperparameters() const override;

  const OptimizerPtr& inner_optimizer() const { return inner_; }
  double initial_scale() const { return initial_scale_; }
  std::int64_t dynamic_growth_steps() const { return dynamic_growth_steps_; }
  double dynamic_scale() const { return scale_; }
  std::int64_t step_counter() const { return step_counter_; }

 protected:
  void build(const std::vector<VariablePtr>& variables) override;
  void update_step(const Tensor& gradient, Variable& variable, std::size_t index,
                   double learning_rate) override;

 private:
  // After a step: counts it on the inner optimizer and grows the scale, or (not finite) halves it.
  void count_step(bool finite);

  OptimizerPtr inner_;
  double initial_scale_;
  std::int64_t dynamic_growth_steps_;
  double scale_;
  std::int64_t step_counter_ = 0;
};

// The optimizer whose configuration and state a saved model holds: the inner one of a
// LossScaleOptimizer (the loss scale itself is not saved and restarts), else `optimizer`.
const Optimizer& saved_optimizer(const Optimizer& optimizer);
Optimizer& saved_optimizer(Optimizer& optimizer);

}  // namespace keras::optimizers
