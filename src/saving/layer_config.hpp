#pragma once
// Keras layer configs: every layer of kerascpp to and from the JSON object Keras writes in
// model_config / config.json ({"class_name": "Conv2D", "config": {...}}).
#include <nlohmann/json.hpp>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::internal {

// Keras 2 (tf.keras, legacy .h5) and Keras 3 (.keras) spell a few things differently:
// the dtype ("float32" vs a DTypePolicy object), InputLayer's batch_input_shape vs
// batch_shape, LeakyReLU's alpha vs negative_slope.
enum class ConfigStyle { keras2, keras3 };

// {"module", "class_name", "config", "registered_name"} for this layer; a layer kerascpp cannot
// describe (a custom layer) raises a ValueError naming its class.
nlohmann::json layer_to_config(const layers::Layer& layer, ConfigStyle style);

// Makes a layer from its class name and config as any Keras version wrote them (old and new
// argument spellings). An unknown class or a malformed argument raises a ValueError naming the
// layer, the class and the argument. InputLayer is not made here (the model readers handle it).
layers::LayerPtr layer_from_config(const std::string& class_name, const nlohmann::json& config);

// The batch shape an InputLayer config or a first layer's batch_input_shape gives ("batch_shape"
// in Keras 3, "batch_input_shape" in Keras 2, or "input_shape" without the batch axis); null
// dimensions become -1. Empty optional when the config has none.
std::optional<Shape> config_batch_shape(const nlohmann::json& config);

// Reads a JSON document, naming `what` (a file and its part) when it is not valid JSON.
nlohmann::json parse_json(const std::string& text, const std::string& what);

}  // namespace keras::internal
