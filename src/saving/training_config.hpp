#pragma once
// What compile fixed, as Keras records it: the legacy .h5 training_config and the .keras
// compile_config (loss, metrics, loss_weights, optimizer config), both ways.
#include <nlohmann/json.hpp>

#include "../models/model_state.hpp"
#include "keras/models/training_options.hpp"
#include "layer_config.hpp"

namespace keras::internal {

nlohmann::json optimizer_to_config(const optimizers::Optimizer& optimizer, ConfigStyle style);
// From {"class_name": "Adam" (or tf.keras' "Custom>Adam"), "config": {...}}. A learning-rate
// schedule, EMA or an optimizer kerascpp lacks raise a ValueError naming it.
optimizers::OptimizerPtr optimizer_from_config(const nlohmann::json& config);

// Keras 2's training_config (with optimizer_config) or Keras 3's compile_config (with optimizer).
nlohmann::json training_config(const TrainingState& training, ConfigStyle style);
CompileOptions compile_options_from_config(const nlohmann::json& config);

}  // namespace keras::internal
