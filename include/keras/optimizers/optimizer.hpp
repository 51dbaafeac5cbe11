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
  void apply(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables);
  // The learning rate the next step will use.
  double learning_rate() const;
  // Sets a fixed learning rate (as callbacks do); replaces a schedule.
  void set_learning_rate(double value);
  std::int64_t iterations() const { return iterations_; }
  // The optimizer's state tensors (slots), in creation order, for saving and restoring.
  const std::vector<Tensor>& variables() const { return slots_; }

 protected:
  // Called once with the variables before the first update: create slots with add_slot.
  virtual void build(const std::vector<VariablePtr>& variables) = 0;
  // One variable's update; `index` is its position in the list given to build.
  virtual void update_step(const Tensor& gradient, Variable& variable, std::size_t index,
                           double learning_rate) = 0;
  Tensor& add_slot(const Shape& shape, float initial_value = 0.0f);
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
