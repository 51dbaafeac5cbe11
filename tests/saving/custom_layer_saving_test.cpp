// A custom layer registered like Keras' register_keras_serializable saves and loads through
// .keras, .h5 and to_json like a built-in one, in this process and in a fresh one; the files are
// left for Keras 3 to load with the same class registered on the Python side
// (tools/make_model_fixtures.py --check-ours /tmp/kerascpp_custom_layer_for_keras).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "keras/keras.hpp"
#include "saving/custom_layer_model.hpp"
#include "support/error_of.hpp"
#include "support/gradient_check.hpp"
#include "support/run_command.hpp"

using namespace keras;
namespace fs = std::filesystem;

TEST_CASE("A registered custom layer saves and loads through .keras, .h5 and to_json, also in a fresh process") {
  test_support::register_scale_shift();
  CHECK(saving::get_registered_name("ScaleShift") == "kerascpp_tests>ScaleShift");
  Model model = test_support::custom_layer_model();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  const Tensor x = test_support::custom_layer_input();
  model.train_on_batch(x, Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 1}, {4}));
  const Tensor expected = model.predict(x, {.verbose = 0});

  const auto entry = nlohmann::json::parse(model.to_json()).at("config").at("layers").at(2);
  CHECK(entry.at("class_name") == "ScaleShift");
  CHECK(entry.at("registered_name") == "kerascpp_tests>ScaleShift");
  CHECK(entry.at("config").at("offset") == 0.25);

  const fs::path dir = fs::temp_directory_path() / "kerascpp_custom_layer_for_keras";
  fs::create_directories(dir);
  model.save((dir / "ours_custom.keras").string());
  model.save((dir / "ours_custom.h5").string());
  std::ofstream(dir / "ours_custom_tojson.json") << model.to_json();
  model.save_weights((dir / "ours_custom_tojson.weights.h5").string());
  nlohmann::json doc;
  for (const std::string file : {"ours_custom.keras", "ours_custom.h5", "ours_custom_tojson.json"}) {
    CAPTURE(file);
    const std::string path = (dir / file).string();
    if (!file.ends_with(".json")) {
      Model again = models::load_model(path);
      CHECK(test_support::max_abs_diff(again.predict(x, {.verbose = 0}), expected) == 0.0);
      const test_support::ScaleShiftImpl* custom = nullptr;
      for (const auto& layer : again.layers()) {
        if (layer->class_name() == "ScaleShift") custom = dynamic_cast<const test_support::ScaleShiftImpl*>(layer.get());
      }
      REQUIRE(custom != nullptr);
      CHECK(custom->offset() == 0.25f);
    }
    // A fresh process: nothing of this one's state, only the registration and the file.
    const auto [status, out] = test_support::run_command(std::string(KERASCPP_CUSTOM_LAYER_PROCESS) + " " + path);
    INFO(out);
    REQUIRE(status == 0);
    std::istringstream lines(out);
    std::vector<float> got;
    for (float v; lines >> v;) got.push_back(v);
    CHECK(got == expected.to_vector<float>());
    doc[file] = {{"input", x.to_vector<float>()}, {"input_shape", x.shape().dims()},
                 {"output", expected.to_vector<float>()}, {"output_shape", expected.shape().dims()}};
  }
  std::ofstream(dir / "ours.json") << doc.dump();
}

TEST_CASE("A custom layer nobody registered cannot be saved whole, and says what to do") {
  class UnregisteredImpl : public layers::Layer {
   public:
    UnregisteredImpl() : Layer("UnregisteredThing", "") {}

   protected:
    Tensor call(const std::vector<Tensor>& inputs, bool) override { return inputs[0] * 2.0f; }
  };
  const layers::KerasTensor in = layers::Input({3});
  Model model(in, layers::LayerHandle<UnregisteredImpl>(std::make_shared<UnregisteredImpl>())(in));
  const std::string error = test_support::error_of([&] { model.to_json(); });
  CHECK(error.find("UnregisteredThing") != std::string::npos);
  CHECK(error.find("not registered") != std::string::npos);
  CHECK(error.find("register_keras_serializable") != std::string::npos);
  const std::string load = test_support::error_of([] {
    models::model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}},
      {"class_name": "Thing", "config": {"name": "t"}, "registered_name": "elsewhere>Thing"}]}})");
  });
  CHECK(load.find("elsewhere>Thing") != std::string::npos);
  CHECK(load.find("register_keras_serializable") != std::string::npos);
}
