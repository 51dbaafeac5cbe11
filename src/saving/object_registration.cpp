// The layer registry: built-in layers (registered by their own sources through
// KERASCPP_REGISTER_LAYER, collected by CMakeLists.txt into register_builtin_layers()) and custom
// layers (saving::register_keras_serializable), keyed by Keras' registered name.
#include "keras/saving/object_registration.hpp"

#include <map>
#include <mutex>

#include "config_support.hpp"

namespace keras {

namespace {

struct Entry {
  saving::LayerFactory factory;
  const char* example = nullptr;  // built-ins only; parsed only when a test asks for it
  bool builtin = false;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, Entry> by_registered_name;
  std::map<std::string, std::string> registered_name_of_class;
  std::vector<std::string> custom_order;
};

// The table itself; register_builtin_layer fills it while registry() runs the built-ins once.
Registry& table() {
  static Registry r;
  return r;
}

Registry& registry() {
  static std::once_flag builtins;
  std::call_once(builtins, [] { internal::register_builtin_layers(); });
  return table();
}

void add(Registry& r, const std::string& registered_name, const std::string& class_name, Entry entry, bool builtin) {
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!builtin && !r.by_registered_name.count(registered_name)) r.custom_order.push_back(registered_name);
  r.by_registered_name[registered_name] = std::move(entry);
  r.registered_name_of_class[class_name] = registered_name;
}

// What a config's "dtype" names: "float32", Keras 2's Policy or Keras 3's DTypePolicy.
std::string policy_name(const internal::ConfigArgs& a) {
  if (!a.present("dtype")) return "float32";
  const nlohmann::json& v = a.at("dtype");
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("config") && v["config"].is_object() && v["config"].contains("name") &&
      v["config"]["name"].is_string()) {
    return v["config"]["name"].get<std::string>();
  }
  a.fail("dtype", "is not a dtype policy: " + v.dump());
}

}  // namespace

namespace internal {

void register_builtin_layer(const std::string& class_name, BuiltinLayerFactory factory, const char* example) {
  Entry entry{[class_name, factory = std::move(factory)](const nlohmann::json& config) {
                return factory(ConfigArgs(config, class_name));
              },
              example, true};
  add(table(), class_name, class_name, std::move(entry), true);
}

nlohmann::json registered_layer_example(const std::string& registered_name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.by_registered_name.find(registered_name);
  return it == r.by_registered_name.end() || it->second.example == nullptr ? nlohmann::json()
                                                                          : nlohmann::json::parse(it->second.example);
}

}  // namespace internal

namespace saving {

void register_keras_serializable(const std::string& package, const std::string& class_name, LayerFactory factory) {
  if (package.empty() || class_name.empty() || package.find('>') != std::string::npos) {
    throw ValueError("register_keras_serializable: give a package and a class name (no '>' in the package), got '" +
                     package + "', '" + class_name + "'");
  }
  if (!factory) throw ValueError("register_keras_serializable: the factory for " + class_name + " is empty");
  add(registry(), package + ">" + class_name, class_name, Entry{std::move(factory), nullptr, false}, false);
}

std::string get_registered_name(const std::string& class_name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.registered_name_of_class.find(class_name);
  return it == r.registered_name_of_class.end() ? std::string() : it->second;
}

std::vector<std::string> registered_layer_names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, entry] : r.by_registered_name) {
    if (entry.builtin) names.push_back(name);
  }
  names.insert(names.end(), r.custom_order.begin(), r.custom_order.end());
  return names;
}

layers::LayerPtr deserialize_layer(const std::string& registered_name, const nlohmann::json& config) {
  LayerFactory factory;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.by_registered_name.find(registered_name);
    if (it == r.by_registered_name.end()) {
      // Keras 3's .keras files name a custom class by class_name and registered_name; an entry
      // giving only the bare class name of a registered custom class is found through it.
      const auto cls = r.registered_name_of_class.find(registered_name);
      if (cls != r.registered_name_of_class.end()) it = r.by_registered_name.find(cls->second);
    }
    if (it == r.by_registered_name.end()) {
      std::string known;
      for (const auto& [name, entry] : r.by_registered_name) known += (known.empty() ? "" : ", ") + name;
      throw ValueError("unknown layer class '" + registered_name + "'" +
                       (config.is_object() && config.contains("name") ? " (layer " + config["name"].dump() + ")" : "") +
                       ": kerascpp can load " + known + ", InputLayer; a custom layer must be registered with "
                       "keras::saving::register_keras_serializable(package, class_name, factory) before loading");
    }
    factory = it->second.factory;
  }
  const internal::ConfigArgs args(config, registered_name);
  const std::string policy = policy_name(args);
  std::optional<mixed_precision::DTypePolicy> chosen;
  try {
    chosen.emplace(policy);
  } catch (const ValueError& e) {
    args.fail("dtype", "names the policy '" + policy + "', which kerascpp does not have (" + e.what() + ")");
  }
  const internal::ScopedLayerPolicy scope(*chosen);
  layers::LayerPtr layer = factory(config);
  if (!layer) throw ValueError("the factory registered for '" + registered_name + "' returned no layer");
  layer->trainable = args.boolean("trainable", true);
  return layer;
}

}  // namespace saving

}  // namespace keras
