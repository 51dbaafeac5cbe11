#pragma once
// A model's architecture as Keras' JSON: {"class_name": "Sequential" | "Functional", "config":
// {...}}, written in Keras 2's spelling (legacy .h5 model_config) or Keras 3's (.keras
// config.json), and read from any Keras version's: Sequential configs as a list (Keras 2.0-2.2)
// or an object, with or without an InputLayer (batch_input_shape on the first layer, or
// build_input_shape); functional graphs ("Model", "Functional") with Keras 2's or Keras 3's
// inbound_nodes.
#include <nlohmann/json.hpp>
#include <string>

#include "../models/model_state.hpp"
#include "keras/models/model.hpp"
#include "layer_config.hpp"

namespace keras::internal {

nlohmann::json model_to_config(const ModelState& state, ConfigStyle style);

// Builds the model a config describes. Errors (unknown layer class, broken graph) are
// ValueErrors naming the layer; callers add the file.
Model model_from_config(const nlohmann::json& model_config);

}  // namespace keras::internal
