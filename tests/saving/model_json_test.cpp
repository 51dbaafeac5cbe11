// Model::to_json / get_config / from_config and models::model_from_json: Keras users' pattern of
// an architecture JSON beside a weights file. Keras' own to_json() text (tf.keras 2.15 and
// Keras 3, tests/fixtures/keras_models/*_tojson.json from tools/make_model_fixtures.py) loads
// and with Keras' weights reproduces Keras' outputs; ours round-trips and is left for Keras to
// check (tools/make_model_fixtures.py --check-ours).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"

using namespace keras;
using namespace keras::layers;
namespace fs = std::filesystem;

using test_support::fixture_tensor;

namespace {

const fs::path kFixtures = fs::path(KERASCPP_SOURCE_DIR) / "tests" / "fixtures" / "keras_models";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("Keras' to_json text and weights file load and reproduce Keras' outputs (tf.keras 2.15 and Keras 3)") {
  for (const std::string prefix : {"k2", "k3"}) {
    const auto& doc = test_support::keras_fixture("keras_models/" + prefix + "_models.json");
    for (const std::string name : {"sequential", "functional", "nested"}) {
      CAPTURE(prefix + "_" + name);
      const std::string stem = prefix + "_" + name + "_tojson";
      Model model = models::model_from_json(read_text(kFixtures / (stem + ".json")));
      CHECK_FALSE(model.compiled());  // model_from_json does not compile, as in Keras
      model.load_weights((kFixtures / (stem + (prefix == "k3" ? ".weights.h5" : "_weights.h5"))).string());
      const auto& record = doc.at("models").at(name);
      const Tensor x = fixture_tensor(record, "input", "input_shape");
      CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), fixture_tensor(record, "output", "output_shape")) < 1e-5);
    }
  }
}

TEST_CASE("to_json and model_from_json round-trip our models, and from_config takes get_config") {
  auto in = Input({6, 6, 2}, {.name = "pixels"});
  auto a = Conv2D(3, 3, {.padding = "same", .activation = "relu"})(in);
  auto b = DepthwiseConv2D(3, {.padding = "same"})(in);
  auto x = Concatenate()({a, b});
  x = BatchNormalization()(x);
  x = GlobalAveragePooling2D()(x);
  Model functional(in, Dense(3, {.activation = "softmax", .name = "head"})(x), "two_branches");
  Sequential sequential({Input({5}), Dense(4, {.activation = "tanh"}), Dropout(0.25f), Dense(2)});
  const Tensor images = random::uniform({2, 6, 6, 2}, {-1.0f, 1.0f, 3});
  const Tensor rows = random::uniform({3, 5}, {-1.0f, 1.0f, 4});
  for (Model* original : {&functional, static_cast<Model*>(&sequential)}) {
    const std::string text = original->to_json();
    const auto doc = nlohmann::json::parse(text);
    CHECK(doc.at("class_name") == (original == &functional ? "Functional" : "Sequential"));
    CHECK(doc.contains("build_config"));
    CHECK_FALSE(doc.contains("compile_config"));
    Model copy = models::model_from_json(text);
    CHECK(copy.to_json() == text);
    CHECK(copy.get_config() == original->get_config());
    CHECK(Model::from_config(original->get_config()).to_json() == text);
    // Fresh weights until the weights file is loaded, then the same outputs.
    copy.set_weights(original->get_weights());
    const Tensor& input = original == &functional ? images : rows;
    CHECK(test_support::max_abs_diff(copy.predict(input, {.verbose = 0}), original->predict(input, {.verbose = 0})) == 0.0);
  }
  CHECK(functional.get_config().at("name") == "two_branches");
  CHECK(functional.get_config().contains("input_layers"));
  CHECK_FALSE(sequential.get_config().contains("input_layers"));
  // Once compiled, to_json carries the compile config, as Keras 3's does; model_from_json
  // still does not compile.
  functional.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  CHECK(nlohmann::json::parse(functional.to_json()).contains("compile_config"));
  CHECK_FALSE(models::model_from_json(functional.to_json()).compiled());
  CHECK(nlohmann::json::parse(functional.to_json(2)).dump(2) == functional.to_json(2));
}

TEST_CASE("model_from_json and from_config reject what is not a model config, saying what") {
  CHECK(test_support::error_of([] { models::model_from_json("{not json"); }).find("model_from_json: the text is not valid JSON") !=
        std::string::npos);
  CHECK_THROWS_AS(models::model_from_json("[1, 2]"), ValueError);
  const std::string unknown = test_support::error_of([] {
    models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}},
      {"class_name": "MysteryDense", "config": {"name": "m"}}]}})");
  });
  CHECK(unknown.find("model_from_json") != std::string::npos);
  CHECK(unknown.find("MysteryDense") != std::string::npos);
  CHECK_THROWS_AS(Model::from_config(nlohmann::json{{"name", "no layers"}}), ValueError);
}

TEST_CASE("Our to_json text of Keras' fixture models, with its weights, is left for Keras to check") {
  // tools/make_model_fixtures.py --check-ours <this folder> loads them with Keras'
  // model_from_json and load_weights.
  const fs::path dir = fs::temp_directory_path() / "kerascpp_model_json_for_keras";
  fs::create_directories(dir);
  nlohmann::json doc;
  const auto& k3 = test_support::keras_fixture("keras_models/k3_models.json");
  for (const std::string name : {"sequential", "functional", "nested"}) {
    const auto& record = k3.at("models").at(name);
    Model model = models::load_model((kFixtures / ("k3_" + name + ".h5")).string(), {.compile = false});
    const std::string stem = "ours_" + name + "_tojson";
    std::ofstream(dir / (stem + ".json")) << model.to_json();
    model.save_weights((dir / (stem + ".weights.h5")).string());
    const Tensor x = fixture_tensor(record, "input", "input_shape");
    const Tensor out = model.predict(x, {.verbose = 0});
    Model again = models::model_from_json(read_text(dir / (stem + ".json")));
    again.load_weights((dir / (stem + ".weights.h5")).string());
    CHECK(test_support::max_abs_diff(again.predict(x, {.verbose = 0}), out) == 0.0);
    doc[stem + ".json"] = {{"input", record.at("input")}, {"input_shape", record.at("input_shape")},
                           {"output", out.to_vector<float>()}, {"output_shape", out.shape().dims()}};
  }
  std::ofstream(dir / "ours.json") << doc.dump();
}
