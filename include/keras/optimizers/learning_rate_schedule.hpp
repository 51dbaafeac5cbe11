#pragma once
// keras.optimizers.schedules: learning rates as functions of the optimizer's step count, with
// Keras' formulas and defaults. OneCycle is ours (PyTorch's OneCycleLR), Keras has none.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace keras::optimizers {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  // The learning rate at optimizer step `step` (0 for the first update).
  virtual double operator()(std::int64_t step) const = 0;
  // Keras' class name and get_config(), which model files carry; an empty class name for a
  // schedule Keras has no class for (OneCycle, a user's own), which cannot be saved in a file.
  virtual std::string class_name() const { return {}; }
  virtual nlohmann::json get_config() const { return nlohmann::json::object(); }
};
using SchedulePtr = std::shared_ptr<LearningRateSchedule>;

// A learning rate as optimizers take it: a number or a schedule.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}                                // NOLINT
  LearningRate(SchedulePtr schedule) : schedule_(std::move(schedule)) {}        // NOLINT
  template <class S>
  LearningRate(std::shared_ptr<S> schedule) : schedule_(std::move(schedule)) {} // NOLINT
  double at(std::int64_t step) const { return schedule_ ? (*schedule_)(step) : value_; }
  bool is_schedule() const { return schedule_ != nullptr; }
  const SchedulePtr& schedule() const { return schedule_; }

 private:
  double value_ = 0.0;
  SchedulePtr schedule_;
};

namespace schedules {

struct ExponentialDecayOptions {
  bool staircase = false;
};
// lr * decay_rate ^ (step / decay_steps), the exponent floored when staircase.
SchedulePtr ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps,
                             double decay_rate, ExponentialDecayOptions options = {});

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// values.back() after the last boundary.
SchedulePtr PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values);

struct PolynomialDecayOptions {
  double end_learning_rate = 0.0001;
  double power = 1.0;
  bool cycle = false;
};
SchedulePtr PolynomialDecay(double initial_learning_rate, std::int64_t decay_steps,
                            PolynomialDecayOptions options = {});

struct InverseTimeDecayOptions {
  bool staircase = false;
};
// lr / (1 + decay_rate * step / decay_steps)
SchedulePtr InverseTimeDecay(double initial_learning_rate, std::int64_t decay_steps,
                             double decay_rate, InverseTimeDecayOptions options = {});

struct CosineDecayOptions {
  double alpha = 0.0;
  std::optional<double> warmup_target{};
  std::int64_t warmup_steps = 0;
};
// Optional linear warmup from initial_learning_rate to warmup_target, then cosine decay
// to alpha * (warmup_target or initial) over decay_steps.
SchedulePtr CosineDecay(double initial_learning_rate, std::int64_t decay_steps,
                        CosineDecayOptions options = {});

struct CosineDecayRestartsOptions {
  double t_mul = 2.0;
  double m_mul = 1.0;
  double alpha = 0.0;
};
// SGDR: cosine decays restarting after first_decay_steps, each period t_mul times longer and
// its peak m_mul times lower.
SchedulePtr CosineDecayRestarts(double initial_learning_rate, std::int64_t first_decay_steps,
                                CosineDecayRestartsOptions options = {});

struct OneCycleOptions {
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
};
// Leslie Smith's one-cycle policy as PyTorch's OneCycleLR (cosine annealing): from
// max_lr / div_factor up to max_lr over pct_start of total_steps, then down to
// max_lr / (div_factor * final_div_factor).
SchedulePtr OneCycle(double max_learning_rate, std::int64_t total_steps, OneCycleOptions options = {});

// keras.optimizers.schedules.deserialize: one of Keras' schedules above from its class name and
// config, as model files hold them; other classes and bad arguments are ValueErrors naming them.
SchedulePtr deserialize(const std::string& class_name, const nlohmann::json& config);

}  // namespace schedules
}  // namespace keras::optimizers
