#include "keras/optimizers/learning_rate_schedule.hpp"

#include <algorithm>
#include <functional>
#include <cmath>
#include <numbers>
#include <optional>
#include <string>

#include "keras/core/errors.hpp"

namespace keras::optimizers::schedules {

namespace {
using Fn = std::function<double(std::int64_t)>;

class FunctionSchedule final : public LearningRateSchedule {
 public:
  FunctionSchedule(Fn fn, std::string class_name, nlohmann::json config)
      : fn_(std::move(fn)), class_name_(std::move(class_name)), config_(std::move(config)) {}
  double operator()(std::int64_t step) const override { return fn_(step); }
  std::string class_name() const override { return class_name_; }
  nlohmann::json get_config() const override { return config_; }

 private:
  Fn fn_;
  std::string class_name_;
  nlohmann::json config_;
};

// A schedule with Keras' class name and config (with its default "name", as Keras writes it).
SchedulePtr make(Fn fn, const std::string& class_name = {}, nlohmann::json config = nlohmann::json::object()) {
  if (!class_name.empty()) config["name"] = class_name;
  return std::make_shared<FunctionSchedule>(std::move(fn), class_name, std::move(config));
}

void require_positive_steps(std::int64_t steps, const char* schedule, const char* what) {
  if (steps < 1) {
    throw ValueError(std::string(schedule) + ": " + what + " must be a positive number of steps, got " +
                     std::to_string(steps));
  }
}
// step / decay_steps, floored for the staircase variants.
double decay_progress(std::int64_t step, std::int64_t decay_steps, bool staircase) {
  const double p = static_cast<double>(step) / static_cast<double>(decay_steps);
  return staircase ? std::floor(p) : p;
}
}  // namespace

SchedulePtr ExponentialDecay(double initial, std::int64_t decay_steps, double decay_rate,
                             ExponentialDecayOptions o) {
  require_positive_steps(decay_steps, "ExponentialDecay", "decay_steps");
  return make([=](std::int64_t step) {
    return initial * std::pow(decay_rate, decay_progress(step, decay_steps, o.staircase));
  }, "ExponentialDecay", {{"initial_learning_rate", initial}, {"decay_steps", decay_steps}, {"decay_rate", decay_rate},
                          {"staircase", o.staircase}});
}

SchedulePtr PiecewiseConstantDecay(std::vector<std::int64_t> boundaries, std::vector<double> values) {
  if (values.size() != boundaries.size() + 1) {
    throw ValueError("PiecewiseConstantDecay: values must have one more entry than boundaries (" +
                     std::to_string(boundaries.size()) + " boundaries, " +
                     std::to_string(values.size()) + " values)");
  }
  if (!std::is_sorted(boundaries.begin(), boundaries.end())) {
    throw ValueError("PiecewiseConstantDecay: boundaries must be increasing");
  }
  const nlohmann::json config = {{"boundaries", boundaries}, {"values", values}};
  return make([b = std::move(boundaries), v = std::move(values)](std::int64_t step) {
    const auto it = std::lower_bound(b.begin(), b.end(), step);  // first boundary >= step
    return v[static_cast<std::size_t>(it - b.begin())];
  }, "PiecewiseConstantDecay", config);
}

SchedulePtr PolynomialDecay(double initial, std::int64_t decay_steps, PolynomialDecayOptions o) {
  require_positive_steps(decay_steps, "PolynomialDecay", "decay_steps");
  return make([=](std::int64_t step) {
    double steps = static_cast<double>(decay_steps), s = static_cast<double>(step);
    if (o.cycle) {
      // Keras: the period grows to the next multiple of decay_steps (1 at step 0).
      steps *= step == 0 ? 1.0 : std::ceil(s / steps);
    } else {
      s = std::min(s, steps);
    }
    return (initial - o.end_learning_rate) * std::pow(1.0 - s / steps, o.power) + o.end_learning_rate;
  }, "PolynomialDecay", {{"initial_learning_rate", initial}, {"decay_steps", decay_steps},
                         {"end_learning_rate", o.end_learning_rate}, {"power", o.power}, {"cycle", o.cycle}});
}

SchedulePtr InverseTimeDecay(double initial, std::int64_t decay_steps, double decay_rate,
                             InverseTimeDecayOptions o) {
  require_positive_steps(decay_steps, "InverseTimeDecay", "decay_steps");
  return make([=](std::int64_t step) {
    return initial / (1.0 + decay_rate * decay_progress(step, decay_steps, o.staircase));
  }, "InverseTimeDecay", {{"initial_learning_rate", initial}, {"decay_steps", decay_steps}, {"decay_rate", decay_rate},
                          {"staircase", o.staircase}});
}

SchedulePtr CosineDecay(double initial, std::int64_t decay_steps, CosineDecayOptions o) {
  if (decay_steps < 0 || o.warmup_steps < 0) {
    throw ValueError("CosineDecay: decay_steps and warmup_steps must not be negative");
  }
  return make([=](std::int64_t step) {
    const double target = o.warmup_target.value_or(initial);
    if (o.warmup_target && step < o.warmup_steps) {
      return initial + (target - initial) * static_cast<double>(step) / static_cast<double>(o.warmup_steps);
    }
    if (decay_steps == 0) return target;
    const double s = std::min<double>(static_cast<double>(step - (o.warmup_target ? o.warmup_steps : 0)),
                                      static_cast<double>(decay_steps));
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * s / static_cast<double>(decay_steps)));
    return target * ((1.0 - o.alpha) * cosine + o.alpha);
  }, "CosineDecay", {{"initial_learning_rate", initial}, {"decay_steps", decay_steps}, {"alpha", o.alpha},
                     {"warmup_target", o.warmup_target ? nlohmann::json(*o.warmup_target) : nlohmann::json(nullptr)},
                     {"warmup_steps", o.warmup_steps}});
}

SchedulePtr CosineDecayRestarts(double initial, std::int64_t first_decay_steps,
                                CosineDecayRestartsOptions o) {
  require_positive_steps(first_decay_steps, "CosineDecayRestarts", "first_decay_steps");
  return make([=](std::int64_t step) {
    double fraction = static_cast<double>(step) / static_cast<double>(first_decay_steps);
    double restart;
    if (o.t_mul == 1.0) {
      restart = std::floor(fraction);
      fraction -= restart;
    } else {
      restart = std::floor(std::log(1.0 - fraction * (1.0 - o.t_mul)) / std::log(o.t_mul));
      const double completed = (1.0 - std::pow(o.t_mul, restart)) / (1.0 - o.t_mul);
      fraction = (fraction - completed) / std::pow(o.t_mul, restart);
    }
    const double cosine = 0.5 * std::pow(o.m_mul, restart) * (1.0 + std::cos(std::numbers::pi * fraction));
    return initial * ((1.0 - o.alpha) * cosine + o.alpha);
  }, "CosineDecayRestarts", {{"initial_learning_rate", initial}, {"first_decay_steps", first_decay_steps},
                             {"t_mul", o.t_mul}, {"m_mul", o.m_mul}, {"alpha", o.alpha}});
}

SchedulePtr OneCycle(double max_lr, std::int64_t total_steps, OneCycleOptions o) {
  require_positive_steps(total_steps, "OneCycle", "total_steps");
  if (!(o.pct_start > 0.0 && o.pct_start < 1.0)) {
    throw ValueError("OneCycle: pct_start must be in (0, 1), got " + std::to_string(o.pct_start));
  }
  return make([=](std::int64_t step) {
    const double start = max_lr / o.div_factor, end = start / o.final_div_factor;
    const double up = o.pct_start * static_cast<double>(total_steps) - 1.0;
    const double down = static_cast<double>(total_steps) - 1.0 - up;
    auto anneal = [](double from, double to, double pct) {
      return to + (from - to) / 2.0 * (1.0 + std::cos(std::numbers::pi * pct));
    };
    const double s = std::min<double>(static_cast<double>(step), static_cast<double>(total_steps - 1));
    if (s <= up) return anneal(start, max_lr, up > 0 ? s / up : 1.0);
    return anneal(max_lr, end, down > 0 ? (s - up) / down : 1.0);
  });
}

SchedulePtr deserialize(const std::string& cls, const nlohmann::json& config) {
  const std::string where = "learning-rate schedule " + cls;
  if (!config.is_object()) throw ValueError(where + ": the config must be an object, got " + config.dump());
  auto number = [&](const char* key, std::optional<double> fallback = std::nullopt) {
    if (!config.contains(key) || config[key].is_null()) {
      if (fallback) return *fallback;
      throw ValueError(where + ": the config has no '" + key + "'");
    }
    if (!config[key].is_number()) throw ValueError(where + ": '" + key + "' must be a number, got " + config[key].dump());
    return config[key].get<double>();
  };
  auto steps = [&](const char* key, std::optional<double> fallback = std::nullopt) {
    return static_cast<std::int64_t>(std::llround(number(key, fallback)));
  };
  auto flag = [&](const char* key) { return config.contains(key) && config[key].is_boolean() && config[key].get<bool>(); };
  if (cls == "ExponentialDecay") {
    return ExponentialDecay(number("initial_learning_rate"), steps("decay_steps"), number("decay_rate"), {flag("staircase")});
  }
  if (cls == "InverseTimeDecay") {
    return InverseTimeDecay(number("initial_learning_rate"), steps("decay_steps"), number("decay_rate"), {flag("staircase")});
  }
  if (cls == "PolynomialDecay") {
    return PolynomialDecay(number("initial_learning_rate"), steps("decay_steps"),
                           {number("end_learning_rate", 0.0001), number("power", 1.0), flag("cycle")});
  }
  if (cls == "CosineDecay") {
    CosineDecayOptions o{number("alpha", 0.0), std::nullopt, steps("warmup_steps", 0.0)};
    if (config.contains("warmup_target") && !config["warmup_target"].is_null()) o.warmup_target = number("warmup_target");
    return CosineDecay(number("initial_learning_rate"), steps("decay_steps"), o);
  }
  if (cls == "CosineDecayRestarts") {
    return CosineDecayRestarts(number("initial_learning_rate"), steps("first_decay_steps"),
                               {number("t_mul", 2.0), number("m_mul", 1.0), number("alpha", 0.0)});
  }
  if (cls == "PiecewiseConstantDecay") {
    if (!config.contains("boundaries") || !config["boundaries"].is_array() || !config.contains("values") ||
        !config["values"].is_array()) {
      throw ValueError(where + ": the config needs 'boundaries' and 'values' lists");
    }
    std::vector<std::int64_t> boundaries;
    std::vector<double> values;
    for (const auto& b : config["boundaries"]) {
      if (!b.is_number()) throw ValueError(where + ": boundaries must be numbers");
      boundaries.push_back(static_cast<std::int64_t>(std::llround(b.get<double>())));
    }
    for (const auto& v : config["values"]) {
      if (!v.is_number()) throw ValueError(where + ": values must be numbers");
      values.push_back(v.get<double>());
    }
    return PiecewiseConstantDecay(std::move(boundaries), std::move(values));
  }
  throw ValueError(where + " is not one of Keras' schedules kerascpp reads (ExponentialDecay, PiecewiseConstantDecay, "
                           "PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts)");
}

}  // namespace keras::optimizers::schedules
