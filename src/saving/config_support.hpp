#pragma once
// What the layers' own get_config() / from-config code shares: Keras' JSON for initializers,
// regularizers, sizes and paddings; ConfigArgs, which reads a config's arguments (old and new
// spellings) naming the layer and argument in every error; and KERASCPP_REGISTER_LAYER, the one
// line a built-in layer's source registers itself with.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"
#include "keras/layers/padding2d.hpp"

namespace keras::internal {

using layers::Padding2D;
using layers::Size2;
using layers::snake_case;

// {"module", "class_name", "config", "registered_name": null}: how Keras 3 writes an object.
nlohmann::json keras_object(const std::string& module, const std::string& class_name, nlohmann::json config);
nlohmann::json pair(Size2 s);
nlohmann::json initializer_config(const initializers::Initializer& init);
nlohmann::json regularizer_config(const regularizers::Regularizer& r);  // null when inactive
nlohmann::json padding_config(const Padding2D& p);                      // ((top, bottom), (left, right))
// The arguments every conv/dense layer writes as null: kerascpp has no constraints or
// activity regularizers (a config that sets them is refused on reading).
nlohmann::json no_constraints(std::initializer_list<const char*> keys);

using json = nlohmann::json;

// Reads one layer config's arguments, naming the layer in every error.
class ConfigArgs {
 public:
  ConfigArgs(const json& config, const std::string& class_name) : c_(config) {
    if (!c_.is_object()) throw ValueError("the config of a " + class_name + " layer is not a JSON object");
    name_ = c_.contains("name") && c_["name"].is_string() ? c_["name"].get<std::string>() : std::string();
    where_ = "layer '" + name_ + "' (" + class_name + ")";
  }
  const std::string& name() const { return name_; }
  bool present(const char* key) const { return c_.contains(key) && !c_[key].is_null(); }
  const json& at(const char* key) const { return c_.at(key); }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ValueError(where_ + ": config argument '" + key + "' " + what);
  }
  double number(const char* key, double fallback) const {
    if (!present(key)) return fallback;
    if (!c_[key].is_number()) fail(key, "must be a number, got " + c_[key].dump());
    return c_[key].get<double>();
  }
  // The first of `keys` present (new spelling first, then old ones).
  double number_any(std::initializer_list<const char*> keys, double fallback) const {
    for (const char* k : keys) {
      if (present(k)) return number(k, fallback);
    }
    return fallback;
  }
  std::int64_t integer(const char* key, std::int64_t fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    if (v.is_array() && v.size() == 1 && v[0].is_number_integer()) return v[0].get<std::int64_t>();
    if (!v.is_number_integer()) fail(key, "must be an integer, got " + v.dump());
    return v.get<std::int64_t>();
  }
  bool boolean(const char* key, bool fallback) const {
    if (!present(key)) return fallback;
    if (!c_[key].is_boolean()) fail(key, "must be true or false, got " + c_[key].dump());
    return c_[key].get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    if (!present(key)) return fallback;
    if (!c_[key].is_string()) fail(key, "must be a string, got " + c_[key].dump());
    return c_[key].get<std::string>();
  }
  std::optional<std::uint64_t> seed(const char* key) const {
    if (!present(key)) return std::nullopt;
    return static_cast<std::uint64_t>(integer(key, 0));
  }
  Size2 size2(const char* key, Size2 fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    if (v.is_number_integer()) return Size2(v.get<std::int64_t>());
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
      return Size2(v[0].get<std::int64_t>(), v[1].get<std::int64_t>());
    }
    fail(key, "must be an integer or a pair of integers, got " + v.dump());
  }
  Padding2D padding2d(const char* key, Padding2D fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    auto is_int = [](const json& x) { return x.is_number_integer(); };
    if (is_int(v)) return Padding2D(v.get<std::int64_t>());
    if (v.is_array() && v.size() == 2 && is_int(v[0]) && is_int(v[1])) {
      return Padding2D(v[0].get<std::int64_t>(), v[1].get<std::int64_t>());
    }
    if (v.is_array() && v.size() == 2 && v[0].is_array() && v[1].is_array() && v[0].size() == 2 &&
        v[1].size() == 2 && is_int(v[0][0]) && is_int(v[0][1]) && is_int(v[1][0]) && is_int(v[1][1])) {
      return Padding2D({v[0][0].get<std::int64_t>(), v[0][1].get<std::int64_t>()},
                       {v[1][0].get<std::int64_t>(), v[1][1].get<std::int64_t>()});
    }
    fail(key, "must be an integer, two integers or two pairs of integers, got " + v.dump());
  }
  std::string activation(const char* key) const {
    if (present(key) && !c_[key].is_string()) {
      fail(key, "must be the name of a built-in activation, got " + c_[key].dump() +
                    " (custom activations cannot be loaded)");
    }
    return string(key, "linear");
  }

  initializers::Initializer initializer(const char* key, const char* fallback) const {
    if (!present(key)) return fallback;
    const json& v = c_[key];
    try {
      if (v.is_string()) return initializers::Initializer(v.get<std::string>());
      if (!v.is_object() || !v.contains("class_name") || !v["class_name"].is_string()) {
        fail(key, "is not an initializer config: " + v.dump());
      }
      const std::string cls = v["class_name"].get<std::string>();
      const json cfg = v.contains("config") && v["config"].is_object() ? v["config"] : json::object();
      const ConfigArgs a(cfg, cls);
      const auto s = a.seed("seed");
      if (cls == "Zeros" || cls == "Ones") return initializers::Initializer(cls == "Zeros" ? "zeros" : "ones");
      if (cls == "Constant") return initializers::Constant(static_cast<float>(a.number("value", 0.0)));
      if (cls == "RandomUniform") {
        return initializers::RandomUniform({static_cast<float>(a.number("minval", -0.05)),
                                            static_cast<float>(a.number("maxval", 0.05)), s});
      }
      if (cls == "RandomNormal" || cls == "TruncatedNormal") {
        const initializers::RandomNormalOptions o{static_cast<float>(a.number("mean", 0.0)),
                                                  static_cast<float>(a.number("stddev", 0.05)), s};
        return cls == "RandomNormal" ? initializers::RandomNormal(o) : initializers::TruncatedNormal(o);
      }
      if (cls == "VarianceScaling") return variance_scaling(a, key);
      initializers::Initializer named(snake_case(cls));
      return initializers::Initializer(named.kind(), s);
    } catch (const ValueError& e) {
      if (std::string(e.what()).rfind(where_, 0) == 0) throw;
      fail(key, std::string("names an initializer kerascpp does not have: ") + e.what());
    }
  }
  regularizers::Regularizer regularizer(const char* key) const {
    if (!present(key)) return {};
    const json& v = c_[key];
    if (v.is_string()) return regularizers::Regularizer(v.get<std::string>());
    if (!v.is_object() || !v.contains("class_name")) fail(key, "is not a regularizer config: " + v.dump());
    const std::string cls = v["class_name"].is_string() ? v["class_name"].get<std::string>() : "";
    const json cfg = v.contains("config") && v["config"].is_object() ? v["config"] : json::object();
    const ConfigArgs a(cfg, cls);
    if (cls == "L1") return regularizers::L1(static_cast<float>(a.number("l1", 0.01)));
    if (cls == "L2") return regularizers::L2(static_cast<float>(a.number("l2", 0.01)));
    if (cls == "L1L2" || cls == "L1_L2") {
      return regularizers::L1L2(static_cast<float>(a.number("l1", 0.0)), static_cast<float>(a.number("l2", 0.0)));
    }
    fail(key, "names a regularizer kerascpp does not have: " + v.dump());
  }
  // Arguments kerascpp does not implement must be absent or null, or the loaded model would
  // silently differ from the saved one.
  void require_absent(std::initializer_list<const char*> keys) const {
    for (const char* k : keys) {
      if (present(k)) fail(k, "is not supported by kerascpp (got " + c_[k].dump() + "); remove it in Keras before saving");
    }
  }

 private:
  // Keras 2.0-2.2 wrote glorot_uniform and friends as VarianceScaling configs.
  initializers::Initializer variance_scaling(const ConfigArgs& a, const char* key) const {
    const double scale = a.number("scale", 1.0);
    const std::string mode = a.string("mode", "fan_in");
    std::string dist = a.string("distribution", "truncated_normal");
    if (dist == "normal") dist = "truncated_normal";  // Keras 2's "normal" is truncated
    const auto s = a.seed("seed");
    using Kind = initializers::Initializer::Kind;
    struct Known { double scale; const char* mode; const char* dist; Kind kind; };
    static const Known known[] = {
        {1.0, "fan_avg", "uniform", Kind::glorot_uniform}, {1.0, "fan_avg", "truncated_normal", Kind::glorot_normal},
        {2.0, "fan_in", "uniform", Kind::he_uniform},      {2.0, "fan_in", "truncated_normal", Kind::he_normal},
        {1.0, "fan_in", "uniform", Kind::lecun_uniform},   {1.0, "fan_in", "truncated_normal", Kind::lecun_normal},
    };
    for (const auto& k : known) {
      if (k.scale == scale && mode == k.mode && dist == k.dist) return initializers::Initializer(k.kind, s);
    }
    fail(key, "is a VarianceScaling(scale=" + std::to_string(scale) + ", mode=" + mode + ", distribution=" +
                  dist + ") that matches none of kerascpp's initializers");
  }

  const json& c_;
  std::string name_, where_;
};

// A built-in layer's factory: the layer from its config's arguments (the registry applies the
// dtype policy and `trainable`). `example` is a config of the layer's own arguments and the
// input shapes to build it on ({"config": {...}, "inputs": [[null, 6, 6, 4]]}), for the
// registry-wide round-trip test.
using BuiltinLayerFactory = std::function<layers::LayerPtr(const ConfigArgs&)>;
void register_builtin_layer(const std::string& class_name, BuiltinLayerFactory factory, const char* example);
// Every built-in's registration, collected from the layer sources at configure time.
void register_builtin_layers();
// The example config a built-in was registered with (empty for custom layers).
nlohmann::json registered_layer_example(const std::string& registered_name);

}  // namespace keras::internal

// One line at the end of a built-in layer's source file (outside any namespace):
//   KERASCPP_REGISTER_LAYER(Dense, make_dense, R"({"config": {"units": 3}, "inputs": [[null, 5]]})")
// CMakeLists.txt collects these lines into register_builtin_layers(), which the registry runs
// before its first use, so every registered layer's object file is linked into programs.
#define KERASCPP_REGISTER_LAYER(class_name, factory, example)                                 \
  void kerascpp_register_layer_##class_name() {                                               \
    ::keras::internal::register_builtin_layer(#class_name, factory, example);                 \
  }
