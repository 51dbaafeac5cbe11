#pragma once
// keras.saving.register_keras_serializable for layers: the registry model files are read with.
// Every built-in layer is registered under its Keras class name (one line in its own source);
// a custom layer registers under "package>ClassName", Keras' registered_name, and then saves and
// loads through .keras, .h5 and to_json like a built-in one. A layer of a class nobody
// registered cannot be saved whole (save_weights still works); an unknown class in a file is a
// ValueError that names it and the fix.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::saving {

// Builds a layer from the config its get_config() wrote (name, trainable and dtype included;
// the dtype policy is also in effect while the factory runs, so layers made inside take it).
using LayerFactory = std::function<layers::LayerPtr(const nlohmann::json& config)>;

// Registers the layer class whose class_name() is `class_name` under "package>class_name".
// Registering the same registered name again replaces its factory.
void register_keras_serializable(const std::string& package, const std::string& class_name, LayerFactory factory);

// The same with `L::from_config(config)` (returning a LayerPtr or a handle) as the factory.
template <class L>
void register_keras_serializable(const std::string& package, const std::string& class_name) {
  register_keras_serializable(package, class_name,
                              [](const nlohmann::json& config) -> layers::LayerPtr { return L::from_config(config); });
}

// Keras' get_registered_name: "package>name" for a registered custom class, the class name for a
// built-in one, empty for a class that is not registered.
std::string get_registered_name(const std::string& class_name);

// Every registered name, built-ins first (sorted), then custom ones in registration order.
std::vector<std::string> registered_layer_names();

// The layer a (registered) class name and config describe; what model files are read with.
// Errors name the layer and the argument; an unknown name lists what is registered.
layers::LayerPtr deserialize_layer(const std::string& registered_name, const nlohmann::json& config);

}  // namespace keras::saving
