#include "layer_config.hpp"

#include "config_support.hpp"
#include "keras/layers/input_layer.hpp"
#include "keras/layers/lambda.hpp"
#include "keras/models/nested_model.hpp"
#include "keras/saving/object_registration.hpp"
#include "model_config.hpp"

namespace keras::internal {

using layers::InputLayer;
using layers::Layer;

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw IOError(what + " is not valid JSON (" + e.what() + ")");
  }
}

namespace {

// Keras 2's spelling of a layer's dtype: "float32", or a Policy object for a mixed one.
json keras2_dtype(const Layer& layer) {
  const std::string& name = layer.dtype_policy().name();
  if (name == "float32") return name;
  return {{"class_name", "Policy"}, {"config", {{"name", name}}}};
}

}  // namespace

nlohmann::json layer_to_config(const layers::Layer& layer, ConfigStyle style) {
  if (const auto* input = dynamic_cast<const InputLayer*>(&layer)) {
    json shape = json::array();
    for (auto d : input->batch_shape()) shape.push_back(d < 0 ? json(nullptr) : json(d));
    return keras_object("keras.layers", "InputLayer",
                        {{style == ConfigStyle::keras2 ? "batch_input_shape" : "batch_shape", shape},
                         {"dtype", "float32"}, {"sparse", false}, {"ragged", false}, {"name", layer.name()}});
  }
  // A nested model is written as Keras writes one: its whole model config as the layer entry.
  if (const auto* nested = dynamic_cast<const NestedModel*>(&layer)) return model_to_config(state_of(nested->model()), style);
  if (dynamic_cast<const layers::LambdaImpl*>(&layer) != nullptr) {
    throw ValueError("cannot save layer '" + layer.name() + "' (Lambda): it holds a C++ function, which no model file "
                     "can hold (Keras' safe mode refuses lambdas too). Write the computation as a custom layer class "
                     "with get_config() and register it with keras::saving::register_keras_serializable, or save the "
                     "weights with save_weights and rebuild the model in code");
  }
  const std::string registered = saving::get_registered_name(layer.class_name());
  if (registered.empty()) {
    throw ValueError("cannot save layer '" + layer.name() + "' of class " + layer.class_name() +
                     ": the class is not registered. A custom layer saves and loads once it has get_config() and "
                     "keras::saving::register_keras_serializable(\"package\", \"" + layer.class_name() +
                     "\", factory) was called; or save its weights with save_weights and rebuild the model in code");
  }
  json config = layer.get_config();
  if (style == ConfigStyle::keras2) {
    config["dtype"] = keras2_dtype(layer);
    // Keras 2's LeakyReLU calls its slope alpha.
    if (layer.class_name() == "LeakyReLU" && config.contains("negative_slope")) {
      config["alpha"] = config["negative_slope"];
      config.erase("negative_slope");
    }
  }
  const bool custom = registered != layer.class_name();
  json entry = keras_object(custom ? registered.substr(0, registered.find('>')) : "keras.layers", layer.class_name(), config);
  if (custom) {
    entry["registered_name"] = registered;
    // Keras 2 names a registered class by its registered name.
    if (style == ConfigStyle::keras2) entry["class_name"] = registered;
  }
  return entry;
}

layers::LayerPtr layer_from_config(const std::string& class_name, const nlohmann::json& config) {
  if (class_name == "Functional" || class_name == "Model" || class_name == "Sequential") {
    return model_from_config({{"class_name", class_name}, {"config", config}}).as_layer();
  }
  return saving::deserialize_layer(class_name, config);
}

std::optional<Shape> config_batch_shape(const nlohmann::json& config) {
  auto dims_of = [](const json& v, bool add_batch) -> std::optional<Shape> {
    if (!v.is_array()) return std::nullopt;
    std::vector<std::int64_t> dims;
    if (add_batch) dims.push_back(-1);
    for (const auto& d : v) {
      if (d.is_null()) {
        dims.push_back(-1);
      } else if (d.is_number_integer()) {
        dims.push_back(d.get<std::int64_t>());
      } else {
        throw ValueError("input shape " + v.dump() + " holds something other than integers and null");
      }
    }
    return Shape(dims);
  };
  if (!config.is_object()) return std::nullopt;
  for (const char* key : {"batch_shape", "batch_input_shape"}) {
    if (config.contains(key) && !config[key].is_null()) return dims_of(config[key], false);
  }
  if (config.contains("input_shape") && !config["input_shape"].is_null()) return dims_of(config["input_shape"], true);
  return std::nullopt;
}

}  // namespace keras::internal
