#pragma once
// The optimizer base: Keras 3's apply order (clip gradients, decoupled weight decay, update),
// its step counter and learning-rate handling. Each optimizer writes update_step.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"
#include "keras/core/variable.hpp"
#include "keras/optimizers/learning_rate_schedule.hpp"

namespace keras::optimizers {

// Arguments every Keras optimizer takes.
struct CommonOptions {
  std::optional<double> weight_decay{};
  std::optional<double> clipnorm{};        // per-variable gradient norm bound
  std::optional<double> clipvalue{};       // element-wise gradient bound
  std::optional<double> global_clipnorm{}; // bound on the norm of all gradients together
};

class Optimizer {
 public:
  Optimizer(std::string name, LearningRate learning_rate, CommonOptions common);
  virtual ~Optimizer() = default;

  const std::string& name() const { return name_; }
  // Updates each variable with its gradient (same order), then counts one step.
  virtual void apply(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables);
  // Whether apply() on these variables can be recorded into a replayed training step
  // (compile(jit_compile)): its update kernels read the step's scalars (learning rate, bias
  // correction) from the backend's memory, refreshed before each replay. False (the default)
  // for an update that passes its scalars by value or reads values on the host; the step's
  // pass is then recorded without it.
  virtual bool records_update(const std::vector<VariablePtr>& variables) const;
  // What training differentiates instead of the loss: the loss itself, or (loss scaling) a
  // multiple of it whose gradients apply() divides back.
  virtual Tensor scale_loss(const Tensor& loss) const { return loss; }
  // The learning rate the next step will use.
  virtual double learning_rate() const;
  // Sets a fixed learning rate (as callbacks do); replaces a schedule.
  virtual void set_learning_rate(double value);
  virtual std::int64_t iterations() const { return iterations_; }
  virtual bool has_schedule() const { return learning_rate_.is_schedule(); }
  // The schedule the learning rate follows, if any (model files save its config).
  const SchedulePtr& learning_rate_schedule() const { return learning_rate_.schedule(); }
  // The optimizer's state tensors (slots) in Keras 3's creation order (Adam: m and v of each
  // variable in turn, then AMSGrad's maxima), for saving and restoring.
  const std::vector<Tensor>& variables() const { return slots_; }
  // Creates the slots for these variables now (apply does it on the first step), so that a
  // saved state can be restored before training resumes. A second call must name the same list.
  void build_for(const std::vector<VariablePtr>& variables);
  bool built() const { return !built_for_.empty(); }
  // Restores a saved state: the step counter and every slot (same count and shapes as
  // variables(), else a ValueError naming the first that differs).
  void restore(std::int64_t iterations, const std::vector<Tensor>& slot_values);
  // Keras' config of the optimizer beyond name, learning rate and CommonOptions, in Keras'
  // spelling ({"beta_1", 0.9}, {"amsgrad", 0}); flags are 0 or 1.
  virtual std::vector<std::pair<std::string, double>> hyperparameters() const = 0;
  const CommonOptions& common_options() const { return common_; }

 protected:
  friend class LossScaleOptimizer;  // updates through the optimizer it wraps
  // Called once with the variables before the first update: create slots with add_slot.
  virtual void build(const std::vector<VariablePtr>& variables) = 0;
  // One variable's update; `index` is its position in the list given to build.
  virtual void update_step(const Tensor& gradient, Variable& variable, std::size_t index,
                           double learning_rate) = 0;
  // Every variable's update of one step; the default calls update_step for each in turn.
  // Optimizers whose update the backends run for a group (Adam, SGD) do it in one call; every
  // built-in optimizer overrides it to record its update. `gate` (undefined unless recording,
  // see update()) is the backend scalar that lets the update happen.
  virtual void update_steps(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables,
                            double learning_rate, const Tensor& gate);
  // apply() without counting the step. A defined `gate` (a float32 scalar on the variables'
  // backend, computed by the recorded step) makes the weight decay and the update take effect
  // only where it reads nonzero when they run; only a recording with records_update() takes one.
  void update(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables, const Tensor& gate);
  // `open` where a defined gate reads 1 and `shut` where it reads 0, exactly (finite values).
  static Tensor gated(const Tensor& gate, const Tensor& open, const Tensor& shut);
  Tensor& add_slot(const Shape& shape, float initial_value = 0.0f);
  // Called after restore() wrote the slots, for state an optimizer mirrors on the host.
  virtual void state_restored() {}
  Tensor& slot(std::size_t i) { return slots_.at(i); }

 private:
  std::string name_;
  LearningRate learning_rate_;
  CommonOptions common_;
  std::int64_t iterations_ = 0;
  std::vector<Tensor> slots_;
  std::vector<const Variable*> built_for_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// "sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam" with Keras' defaults.
OptimizerPtr get(const std::string& name);

}  // namespace keras::optimizers
