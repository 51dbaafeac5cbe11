#pragma once
// Keras layer configs: a layer to and from the JSON object Keras writes in model_config /
// config.json ({"class_name": "Conv2D", "config": {...}}). Each layer class owns its config
// (get_config() and a registered factory in its own source); this is what is shared.
#include <nlohmann/json.hpp>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::internal {

// Keras 2 (tf.keras, legacy .h5) and Keras 3 (.keras) spell a few things differently:
// the dtype ("float32" vs a DTypePolicy object), InputLayer's batch_input_shape vs
// batch_shape, LeakyReLU's alpha vs negative_slope.
enum class ConfigStyle { keras2, keras3 };

// {"module", "class_name", "config", "registered_name"} for this layer, from its get_config()
// (converted to Keras 2's spelling for legacy files); a layer of an unregistered class raises a
// ValueError naming it and the fix.
nlohmann::json layer_to_config(const layers::Layer& layer, ConfigStyle style);

// Makes a layer from its class name (or registered name) and config as any Keras version wrote
// them, through the layer registry (keras/saving/object_registration.hpp). An unknown class or
// a malformed argument raises a ValueError naming the layer, the class and the argument.
// InputLayer is not made here (the model readers handle it).
layers::LayerPtr layer_from_config(const std::string& class_name, const nlohmann::json& config);

// The batch shape an InputLayer config or a first layer's batch_input_shape gives ("batch_shape"
// in Keras 3, "batch_input_shape" in Keras 2, or "input_shape" without the batch axis); null
// dimensions become -1. Empty optional when the config has none.
std::optional<Shape> config_batch_shape(const nlohmann::json& config);

// Reads a JSON document, naming `what` (a file and its part) when it is not valid JSON.
nlohmann::json parse_json(const std::string& text, const std::string& what);

}  // namespace keras::internal
