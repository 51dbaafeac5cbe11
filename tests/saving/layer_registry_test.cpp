// The layer registry: every built-in layer class owns its config (get_config in its own source,
// and a factory registered there), so one test over the registry covers a layer added later.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "keras/keras.hpp"
#include "src/saving/config_support.hpp"
#include "support/error_of.hpp"

using namespace keras;
using namespace keras::layers;

namespace {

std::vector<Shape> input_shapes(const nlohmann::json& inputs) {
  std::vector<Shape> shapes;
  for (const auto& in : inputs) {
    std::vector<std::int64_t> dims;
    for (const auto& d : in) dims.push_back(d.is_null() ? -1 : d.get<std::int64_t>());
    shapes.emplace_back(dims);
  }
  return shapes;
}

// An example argument as the config reports it: numbers to float precision, and an integer
// size given for both axes as Keras' pair.
bool reports(const nlohmann::json& got, const nlohmann::json& given) {
  if (given.is_number() && got.is_number()) return std::abs(got.get<double>() - given.get<double>()) < 1e-6;
  if (given.is_number_integer() && got.is_array() && got.size() == 2) return got[0] == given && got[1] == given;
  if (given.is_array() && got.is_array() && given.size() == got.size()) {
    for (std::size_t i = 0; i < given.size(); ++i) {
      if (!reports(got[i], given[i])) return false;
    }
    return true;
  }
  return got == given;
}

}  // namespace

TEST_CASE("Every registered layer class rebuilds from its own get_config: same config, same weight shapes") {
  int built_ins = 0;
  for (const std::string& name : saving::registered_layer_names()) {
    const nlohmann::json example = keras::internal::registered_layer_example(name);
    if (example.is_null()) continue;  // a custom layer another test registered
    CAPTURE(name);
    ++built_ins;
    CHECK(saving::get_registered_name(name) == name);
    nlohmann::json config = example.at("config");
    config["name"] = "example_" + snake_case(name);
    config["trainable"] = false;
    config["dtype"] = {{"module", "keras"}, {"class_name", "DTypePolicy"}, {"config", {{"name", "mixed_bfloat16"}}},
                       {"registered_name", nullptr}};
    const LayerPtr layer = saving::deserialize_layer(name, config);
    CHECK(layer->class_name() == name);
    CHECK(layer->name() == config["name"]);
    CHECK_FALSE(layer->trainable);
    CHECK(layer->dtype_policy().name() == "mixed_bfloat16");  // the saved policy, not the global one
    CHECK(mixed_precision::global_policy().name() == "float32");
    const auto shapes = input_shapes(example.at("inputs"));
    layer->build(shapes);
    const nlohmann::json first = layer->get_config();
    for (const auto& [key, value] : example.at("config").items()) {
      CAPTURE(key);
      REQUIRE(first.contains(key));
      CHECK(reports(first.at(key), value));
    }
    const LayerPtr copy = saving::deserialize_layer(name, first);
    copy->build(shapes);
    CHECK(copy->get_config() == first);
    REQUIRE(copy->weights().size() == layer->weights().size());
    for (std::size_t i = 0; i < layer->weights().size(); ++i) {
      CHECK(copy->weights()[i]->shape() == layer->weights()[i]->shape());
    }
    CHECK(copy->compute_output_shape(shapes) == layer->compute_output_shape(shapes));
  }
  // Every layer class the headers declare is registered (a layer added later without its
  // KERASCPP_REGISTER_LAYER line fails here).
  // (A plain scan: GCC 12 warns inside std::regex under the sanitizer build.)
  const std::string marker = "Impl final : public";
  int declared = 0;
  for (const auto& file : std::filesystem::directory_iterator(std::string(KERASCPP_SOURCE_DIR) + "/include/keras/layers")) {
    std::ifstream in(file.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
      const std::size_t start = text.rfind("class ", at) + 6;
      const std::string cls = text.substr(start, at - start);
      if (cls == "Lambda") continue;  // holds a C++ function: deliberately not saveable (lambda.hpp)
      CAPTURE(cls);
      CHECK(saving::get_registered_name(cls) == cls);
      ++declared;
    }
  }
  CHECK(declared == built_ins);
  CHECK(built_ins >= 27);
}

TEST_CASE("Unknown or malformed layer configs are errors naming the layer, the class and the fix") {
  const std::string unknown = test_support::error_of([] { saving::deserialize_layer("MysteryLayer", {{"name", "m"}}); });
  CHECK(unknown.find("unknown layer class 'MysteryLayer'") != std::string::npos);
  CHECK(unknown.find("register_keras_serializable") != std::string::npos);
  CHECK(unknown.find("Dense") != std::string::npos);
  const std::string bad = test_support::error_of([] { saving::deserialize_layer("Dense", {{"name", "d"}, {"units", "three"}}); });
  CHECK(bad.find("layer 'd' (Dense)") != std::string::npos);
  CHECK(bad.find("'units'") != std::string::npos);
  CHECK_THROWS_AS(saving::deserialize_layer("Dense", {{"name", "d"}, {"units", 2}, {"dtype", "float7"}}), ValueError);
  CHECK_THROWS_AS(saving::register_keras_serializable("", "X", [](const nlohmann::json&) -> LayerPtr { return nullptr; }),
                  ValueError);
}
