#include "training_config.hpp"

#include <algorithm>
#include <iostream>

#include "keras/optimizers/loss_scale_optimizer.hpp"
#include "keras/optimizers/optimizers.hpp"

namespace keras::internal {

using nlohmann::json;

namespace {

const char* const kFlags[] = {"amsgrad", "nesterov", "centered"};

bool is_flag(const std::string& key) {
  for (const char* f : kFlags) {
    if (key == f) return true;
  }
  return false;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json loss_to_config(const losses::Loss& loss) {
  bool defaults = true;
  for (const auto& [key, value] : loss.arguments()) defaults = defaults && value == 0.0;
  if (loss.class_name() == "Huber") defaults = loss.arguments().at("delta") == 1.0;
  if (defaults || loss.class_name().empty()) return loss.name();
  json config = {{"name", loss.name()}, {"reduction", "sum_over_batch_size"}};
  for (const auto& [key, value] : loss.arguments()) {
    if (key == "from_logits") {
      config[key] = value != 0.0;
    } else if (!(key == "label_smoothing" && value == 0.0)) {
      config[key] = value;
    }
  }
  return {{"module", "keras.losses"}, {"class_name", loss.class_name()}, {"config", config}, {"registered_name", nullptr}};
}

losses::LossPtr loss_from_config(const json& v) {
  if (v.is_string()) return losses::get(v.get<std::string>());
  if (!v.is_object() || !v.contains("class_name") || !v["class_name"].is_string()) {
    throw ValueError("compile config: a loss must be a name or a loss config, got " + v.dump());
  }
  const std::string cls = v["class_name"].get<std::string>();
  const json config = v.contains("config") && v["config"].is_object() ? v["config"] : json::object();
  const losses::CrossentropyOptions ce{config.value("from_logits", false),
                                       static_cast<float>(config.value("label_smoothing", 0.0))};
  if (cls == "SparseCategoricalCrossentropy") return losses::SparseCategoricalCrossentropy(ce);
  if (cls == "CategoricalCrossentropy") return losses::CategoricalCrossentropy(ce);
  if (cls == "BinaryCrossentropy") return losses::BinaryCrossentropy(ce);
  if (cls == "Huber") return losses::Huber({static_cast<float>(config.value("delta", 1.0))});
  if (cls == "MeanSquaredError") return losses::MeanSquaredError();
  if (cls == "MeanAbsoluteError") return losses::MeanAbsoluteError();
  if (cls == "KLDivergence") return losses::KLDivergence();
  throw ValueError("compile config: loss class '" + cls + "' is not one kerascpp has");
}

// Metric names from Keras 3's ["accuracy"] or Keras 2's [[{"class_name": "MeanMetricWrapper",
// "config": {"name": "accuracy", ...}}]] (one list per output).
void collect_metric_names(const json& v, std::vector<MetricSpec>& out) {
  if (v.is_null()) return;
  if (v.is_string()) {
    out.emplace_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& m : v) collect_metric_names(m, out);
  } else if (v.is_object() && v.contains("config") && v["config"].is_object() && v["config"].contains("name") &&
             v["config"]["name"].is_string()) {
    out.emplace_back(v["config"]["name"].get<std::string>());
  } else {
    throw ValueError("compile config: cannot read the metric " + v.dump());
  }
}

// The learning rate as Keras writes it: a number, or a schedule's {class_name, config}.
json learning_rate_config(const optimizers::Optimizer& optimizer, ConfigStyle style) {
  const optimizers::SchedulePtr& schedule = optimizer.learning_rate_schedule();
  if (!schedule) return optimizer.learning_rate();
  const std::string cls = schedule->class_name();
  if (cls.empty()) {
    // Keras cannot save a schedule without a config either; a checkpoint must still be written.
    static bool warned = false;
    if (!warned) {
      std::cerr << "warning: optimizer " << optimizer.name() << ": its learning-rate schedule has no Keras config "
                << "(OneCycle or a schedule of your own), so model files record the current learning rate ("
                << optimizer.learning_rate() << ") instead; compile again after loading to resume the schedule\n";
      warned = true;
    }
    return optimizer.learning_rate();
  }
  json doc = {{"class_name", cls}, {"config", schedule->get_config()}};
  if (style == ConfigStyle::keras3) {
    doc["module"] = "keras.optimizers.schedules";
    doc["registered_name"] = nullptr;
  }
  return doc;
}

}  // namespace

nlohmann::json optimizer_to_config(const optimizers::Optimizer& wrapped, ConfigStyle style) {
  const optimizers::Optimizer& optimizer = optimizers::saved_optimizer(wrapped);
  const auto& common = optimizer.common_options();
  json config = {{"name", style == ConfigStyle::keras3 ? layers::snake_case(optimizer.name()) : optimizer.name()},
                 {"learning_rate", learning_rate_config(optimizer, style)},
                 {"weight_decay", optional_number(common.weight_decay)},
                 {"clipnorm", optional_number(common.clipnorm)},
                 {"global_clipnorm", optional_number(common.global_clipnorm)},
                 {"clipvalue", optional_number(common.clipvalue)}};
  if (style == ConfigStyle::keras3) {
    config.update({{"use_ema", false}, {"ema_momentum", 0.99}, {"ema_overwrite_frequency", nullptr},
                   {"loss_scale_factor", nullptr}, {"gradient_accumulation_steps", nullptr}});
  } else {
    // tf.keras 2 reads a legacy file's optimizer as its pre-2.11 class, which takes none of
    // the newer arguments: write only those it knows.
    for (const char* key : {"weight_decay", "clipnorm", "global_clipnorm", "clipvalue"}) {
      if (config[key].is_null()) config.erase(key);
    }
  }
  for (const auto& [key, value] : optimizer.hyperparameters()) {
    config[key] = is_flag(key) ? json(value != 0.0) : json(value);
  }
  json doc = {{"class_name", optimizer.name()}, {"config", config}};
  if (style == ConfigStyle::keras3) {
    doc["module"] = "keras.optimizers";
    doc["registered_name"] = nullptr;
  }
  return doc;
}

optimizers::OptimizerPtr optimizer_from_config(const nlohmann::json& doc) {
  if (doc.is_string()) return optimizers::get(doc.get<std::string>());
  if (!doc.is_object() || !doc.contains("class_name") || !doc["class_name"].is_string()) {
    throw ValueError("optimizer config is neither a name nor {class_name, config}: " + doc.dump());
  }
  std::string cls = doc["class_name"].get<std::string>();
  if (cls.rfind("Custom>", 0) == 0) cls = cls.substr(7);  // tf.keras 2.11-2.15's spelling
  const json c = doc.contains("config") && doc["config"].is_object() ? doc["config"] : json::object();
  auto number = [&](const char* key, double fallback) {
    if (!c.contains(key) || c[key].is_null()) return fallback;
    if (!c[key].is_number()) throw ValueError("optimizer " + cls + ": '" + key + "' must be a number, got " + c[key].dump());
    return c[key].get<double>();
  };
  auto optional = [&](const char* key) -> std::optional<double> {
    if (!c.contains(key) || c[key].is_null()) return std::nullopt;
    return number(key, 0.0);
  };
  auto flag = [&](const char* key) { return c.contains(key) && c[key].is_boolean() && c[key].get<bool>(); };
  if (flag("use_ema")) throw ValueError("optimizer " + cls + ": use_ema (weight averaging) is not supported by kerascpp");
  const double lr_default = cls == "SGD" ? 0.01 : 0.001;
  const char* const lr_key = c.contains("learning_rate") ? "learning_rate" : "lr";
  optimizers::LearningRate lr = lr_default;
  if (c.contains(lr_key) && c[lr_key].is_object()) {
    const json& schedule = c[lr_key];
    if (!schedule.contains("class_name") || !schedule["class_name"].is_string()) {
      throw ValueError("optimizer " + cls + ": the learning-rate schedule has no class_name: " + schedule.dump());
    }
    lr = optimizers::schedules::deserialize(schedule["class_name"].get<std::string>(),
                                            schedule.contains("config") ? schedule["config"] : json::object());
  } else {
    lr = number(lr_key, lr_default);
  }
  // Keras 2's `decay`: lr / (1 + decay * iterations), which is InverseTimeDecay(lr, 1, decay).
  if (const double decay = number("decay", 0.0); decay != 0.0) {
    if (lr.is_schedule()) {
      throw ValueError("optimizer " + cls + ": a learning-rate schedule with the legacy 'decay' on top is not read "
                       "from model files; load with compile = false and compile again");
    }
    lr = optimizers::schedules::InverseTimeDecay(lr.at(0), 1, decay);
  }
  const optimizers::CommonOptions common{optional("weight_decay"), optional("clipnorm"), optional("clipvalue"),
                                         optional("global_clipnorm")};
  std::string key;
  for (char ch : cls) key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (key == "sgd") return optimizers::SGD({lr, number("momentum", 0.0), flag("nesterov"), common});
  if (key == "adam") {
    return optimizers::Adam({lr, number("beta_1", 0.9), number("beta_2", 0.999), number("epsilon", 1e-7), flag("amsgrad"), common});
  }
  if (key == "adamw") {
    return optimizers::AdamW({lr, number("weight_decay", 0.004), number("beta_1", 0.9), number("beta_2", 0.999),
                              number("epsilon", 1e-7), flag("amsgrad"), common});
  }
  if (key == "rmsprop") {
    return optimizers::RMSprop({lr, number("rho", 0.9), number("momentum", 0.0), number("epsilon", 1e-7), flag("centered"), common});
  }
  if (key == "adagrad") {
    return optimizers::Adagrad({lr, number("initial_accumulator_value", 0.1), number("epsilon", 1e-7), common});
  }
  if (key == "nadam") {
    return optimizers::Nadam({lr, number("beta_1", 0.9), number("beta_2", 0.999), number("epsilon", 1e-7), common});
  }
  throw ValueError("optimizer class '" + cls + "' is not one kerascpp has (SGD, Adam, AdamW, RMSprop, Adagrad, Nadam)");
}

nlohmann::json training_config(const TrainingState& t, ConfigStyle style) {
  json loss = json::array();
  for (const auto& l : t.losses) loss.push_back(loss_to_config(*l));
  json metrics = json::array();
  for (const auto& per_output : t.metrics) {
    json names = json::array();
    for (const auto& m : per_output) names.push_back(m->name());
    metrics.push_back(names);
  }
  bool default_weights = true;
  for (double w : t.loss_weights) default_weights = default_weights && w == 1.0;
  json doc = {{"loss", loss.size() == 1 ? loss[0] : loss},
              {"metrics", metrics.size() == 1 ? metrics[0] : metrics},
              {"weighted_metrics", nullptr},
              {"loss_weights", default_weights ? json(nullptr) : json(t.loss_weights)}};
  const json optimizer = optimizer_to_config(*t.optimizer, style);
  if (style == ConfigStyle::keras3) {
    doc["optimizer"] = optimizer;
    doc["run_eagerly"] = false;
    doc["steps_per_execution"] = t.steps_per_execution;
    doc["jit_compile"] = false;
  } else {
    doc["optimizer_config"] = optimizer;
  }
  return doc;
}

CompileOptions compile_options_from_config(const nlohmann::json& config) {
  if (!config.is_object()) throw ValueError("compile config is not a JSON object");
  CompileOptions o;
  const json* optimizer = config.contains("optimizer") ? &config["optimizer"]
                          : config.contains("optimizer_config") ? &config["optimizer_config"] : nullptr;
  // Keras compiles with its default optimizer when the config names none.
  o.optimizer = optimizer == nullptr ? optimizers::get("rmsprop") : optimizer_from_config(*optimizer);
  if (!config.contains("loss") || config["loss"].is_null()) throw ValueError("compile config names no loss");
  const json& loss = config["loss"];
  if (loss.is_array()) {
    if (loss.size() != 1) {
      throw ValueError("compile config: one loss per output is not read from model files; load with compile = "
                       "false and compile the loaded model");
    }
    o.loss = loss_from_config(loss[0]);
  } else if (loss.is_object() && !loss.contains("class_name")) {
    throw ValueError("compile config: losses by output name are not read from model files; compile the loaded model");
  } else {
    o.loss = loss_from_config(loss);
  }
  if (config.contains("metrics")) collect_metric_names(config["metrics"], o.metrics);
  if (config.contains("steps_per_execution") && config["steps_per_execution"].is_number_integer()) {
    o.steps_per_execution = std::max(1, config["steps_per_execution"].get<int>());
  }
  if (config.contains("loss_weights") && config["loss_weights"].is_array()) {
    for (const auto& w : config["loss_weights"]) {
      if (!w.is_number()) throw ValueError("compile config: loss_weights must be numbers");
      o.loss_weights.push_back(w.get<double>());
    }
  }
  return o;
}

}  // namespace keras::internal
