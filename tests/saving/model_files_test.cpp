// Whole-model files: models saved by real Keras (tf.keras 2.15 legacy .h5; Keras 3 .h5 and
// .keras, tests/fixtures/keras_models/ from tools/make_model_fixtures.py) load with their
// architecture and reproduce Keras' outputs, and resume training exactly where Keras would;
// our own files round-trip; broken files are IOErrors.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/run_command.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/temp_path.hpp"

using namespace keras;
using namespace keras::layers;
namespace fs = std::filesystem;

using test_support::fixture_tensor;

namespace {

const fs::path kFixtures = fs::path(KERASCPP_SOURCE_DIR) / "tests" / "fixtures" / "keras_models";

// A small model with every kind of state: BatchNormalization statistics, Adam slots.
Model trained_functional() {
  auto in = Input({6, 6, 2});
  auto a = Conv2D(3, 3, {.padding = "same", .activation = "relu"})(in);
  auto b = DepthwiseConv2D(3, {.padding = "same"})(in);
  auto x = Concatenate()({a, b});
  x = BatchNormalization()(x);
  x = GlobalAveragePooling2D()(x);
  Model model(in, Dense(3, {.activation = "softmax"})(x));
  model.compile({.optimizer = optimizers::Adam({.learning_rate = 0.01}), .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  return model;
}

std::pair<Tensor, Tensor> batch(std::uint64_t seed) {
  return {random::uniform({8, 6, 6, 2}, {-1.0f, 1.0f, seed}),
          Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 0, 1, 2, 0, 1}, {8})};
}

}  // namespace

TEST_CASE("Models saved by real Keras (tf.keras 2.15 and Keras 3) load and reproduce Keras' outputs") {
  for (const std::string prefix : {"k2", "k3"}) {
    const auto& doc = test_support::keras_fixture("keras_models/" + prefix + "_models.json");
    for (const std::string name : {"sequential", "functional", "resume", "nested"}) {
      const auto& record = doc.at("models").at(name);
      for (const std::string suffix : {".h5", ".keras"}) {
        const fs::path file = kFixtures / (prefix + "_" + name + suffix);
        if (!fs::exists(file)) continue;  // tf.keras 2 has no .keras archives
        CAPTURE(file.string());
        Model model = models::load_model(file.string());
        CHECK(model.compiled());
        const Tensor x = fixture_tensor(record, "input", "input_shape");
        CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), fixture_tensor(record, "output", "output_shape")) < 1e-5);
        // Keras 3.15 writes a .keras compile_config without the optimizer (and itself loads such
        // files with a fresh RMSprop), so Keras' next step is checked on the .h5 files; our own
        // .keras files carry the optimizer (the round-trip test below).
        if (record.contains("labels") && suffix == ".h5") {
          // The saved Adam state is restored: the next step is Keras' next step.
          const auto labels = record.at("labels").get<std::vector<std::int32_t>>();
          model.train_on_batch(x, Tensor::from_vector(labels, {static_cast<std::int64_t>(labels.size())}));
          CHECK(model.optimizer()->iterations() == 2);
          CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), fixture_tensor(record, "output_after_step", "output_shape")) < 1e-5);
        }
      }
    }
  }
}

TEST_CASE("tf.keras 2.15's OptimizerV2 files: Adam's m-then-v state and RMSprop's legacy decay restore, and the next step is Keras'") {
  const auto& doc = test_support::keras_fixture("keras_models/k2_models.json");
  for (const std::string name : {"resume_legacy_adam", "resume_legacy_rmsprop_decay"}) {
    CAPTURE(name);
    const auto& record = doc.at("models").at(name);
    Model model = models::load_model((kFixtures / ("k2_" + name + ".h5")).string());
    REQUIRE(model.compiled());
    CHECK(model.optimizer()->name() == record.at("optimizer").get<std::string>());
    CHECK(model.optimizer()->iterations() == record.at("iterations").get<std::int64_t>() - 1);
    const Tensor x = fixture_tensor(record, "input", "input_shape");
    CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), fixture_tensor(record, "output", "output_shape")) < 1e-5);
    const auto labels = record.at("labels").get<std::vector<std::int32_t>>();
    model.train_on_batch(x, Tensor::from_vector(labels, {static_cast<std::int64_t>(labels.size())}));
    // RMSprop divides by the root of a three-step average of squared gradients, which turns
    // float32 rounding differences in small gradients into ~1e-5 in the outputs.
    const double tolerance = name == "resume_legacy_adam" ? 1e-5 : 5e-5;
    CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), fixture_tensor(record, "output_after_step", "output_shape")) < tolerance);
  }
  // decay = 0.25 is Keras 2's lr / (1 + decay * iterations): InverseTimeDecay(lr, 1, 0.25).
  Model decayed = models::load_model((kFixtures / "k2_resume_legacy_rmsprop_decay.h5").string());
  REQUIRE(decayed.optimizer()->has_schedule());
  CHECK(decayed.optimizer()->learning_rate_schedule()->class_name() == "InverseTimeDecay");
  CHECK(decayed.optimizer()->learning_rate() == doctest::Approx(0.01 / (1.0 + 0.25 * 2)).epsilon(1e-6));
}

TEST_CASE("Learning-rate schedules are saved in model files and resume where they were") {
  for (const std::string suffix : {".keras", ".h5"}) {
    CAPTURE(suffix);
    Model model = trained_functional();
    model.compile({.optimizer = optimizers::Adam({.learning_rate = optimizers::schedules::ExponentialDecay(0.05, 3, 0.5, {.staircase = true})}),
                   .loss = "sparse_categorical_crossentropy"});
    const auto [x, y] = batch(11);
    for (int i = 0; i < 4; ++i) model.train_on_batch(x, y);
    const std::string file = test_support::temp_path("schedule_model" + suffix).string();
    model.save(file);
    Model loaded = models::load_model(file);
    REQUIRE(loaded.optimizer()->has_schedule());
    const auto& schedule = *loaded.optimizer()->learning_rate_schedule();
    CHECK(schedule.class_name() == "ExponentialDecay");
    CHECK(schedule.get_config() == model.optimizer()->learning_rate_schedule()->get_config());
    CHECK(loaded.optimizer()->learning_rate() == doctest::Approx(0.05 * 0.5));  // step 4 of staircase 3
    model.train_on_batch(x, y);
    loaded.train_on_batch(x, y);
    CHECK(test_support::max_abs_diff(loaded.predict(x, {.verbose = 0}), model.predict(x, {.verbose = 0})) == 0.0);
  }
  // Every Keras schedule comes back from its config as the same function of the step.
  namespace sch = optimizers::schedules;
  for (const auto& original : {sch::ExponentialDecay(0.1, 10, 0.9), sch::PiecewiseConstantDecay({5, 9}, {0.3, 0.2, 0.1}),
                               sch::PolynomialDecay(0.1, 20, {.end_learning_rate = 0.01, .power = 2.0, .cycle = true}),
                               sch::InverseTimeDecay(0.1, 4, 0.5, {.staircase = true}),
                               sch::CosineDecay(0.1, 30, {.alpha = 0.1, .warmup_target = 0.2, .warmup_steps = 5}),
                               sch::CosineDecayRestarts(0.1, 7, {.t_mul = 1.5, .m_mul = 0.8, .alpha = 0.05})}) {
    CAPTURE(original->class_name());
    const auto copy = sch::deserialize(original->class_name(), original->get_config());
    CHECK(copy->get_config() == original->get_config());
    for (std::int64_t step : {0, 1, 4, 5, 6, 13, 29, 31, 100}) CHECK((*copy)(step) == (*original)(step));
  }
  CHECK(optimizers::schedules::OneCycle(0.1, 100)->class_name().empty());  // ours, Keras has no class for it
  CHECK_THROWS_AS(sch::deserialize("MysterySchedule", nlohmann::json::object()), ValueError);
  CHECK_THROWS_AS(sch::deserialize("ExponentialDecay", {{"decay_steps", 3}}), ValueError);
}

TEST_CASE("load_model reads the architecture: layer classes, names, arguments and the compile config") {
  Model k2 = models::load_model((kFixtures / "k2_sequential.h5").string());
  CHECK(k2.name() == "cnn");
  std::vector<std::string> classes;
  for (const auto& l : k2.layers()) classes.push_back(l->class_name());
  CHECK(classes == std::vector<std::string>{"Conv2D", "BatchNormalization", "MaxPooling2D", "Conv2D", "Flatten",
                                            "Dropout", "Dense"});
  const auto conv = std::dynamic_pointer_cast<Conv2DImpl>(k2.layers()[3]);
  REQUIRE(conv);
  CHECK(conv->options().kernel_regularizer.l2() == doctest::Approx(1e-4));
  CHECK(k2.optimizer()->name() == "Adam");
  CHECK(k2.optimizer()->learning_rate() == doctest::Approx(1e-3));
  Model k3 = models::load_model((kFixtures / "k3_functional.keras").string(), {.compile = false});
  CHECK_FALSE(k3.compiled());
  CHECK(k3.name() == "branches");
  CHECK(k3.inputs().front().name() == "image");
  CHECK(k3.count_params() == models::load_model((kFixtures / "k3_functional.h5").string()).count_params());
}

TEST_CASE("save / load_model round trip: same predictions, and training resumes bit for bit") {
  for (const std::string suffix : {".h5", ".keras"}) {
    CAPTURE(suffix);
    Model model = trained_functional();
    auto [x, y] = batch(1);
    model.train_on_batch(x, y);
    model.train_on_batch(x, y);
    const fs::path file = test_support::temp_path("round_trip" + suffix);
    model.save(file.string());
    Model loaded = models::load_model(file.string());
    auto [x2, y2] = batch(2);
    CHECK(test_support::max_abs_diff(model.predict(x2, {.verbose = 0}), loaded.predict(x2, {.verbose = 0})) == 0.0);
    CHECK(loaded.optimizer()->iterations() == 2);
    // The uninterrupted run and the resumed one take the same next step.
    model.train_on_batch(x2, y2);
    loaded.train_on_batch(x2, y2);
    const auto w1 = model.get_weights(), w2 = loaded.get_weights();
    REQUIRE(w1.size() == w2.size());
    for (std::size_t i = 0; i < w1.size(); ++i) CHECK(test_support::max_abs_diff(w1[i], w2[i]) == 0.0);
    fs::remove(file);
  }
}

TEST_CASE("save writes Keras' layouts and leaves the previous file intact when it fails") {
  Model model = trained_functional();
  const fs::path file = test_support::temp_path("layout.h5");
  model.save(file.string());
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  for (const char* attribute : {"model_config", "training_config", "keras_version", "backend"}) {
    CHECK_MESSAGE(H5Aexists(f, attribute) > 0, attribute);
  }
  CHECK(H5Lexists(f, "model_weights", H5P_DEFAULT) > 0);
  CHECK(H5Lexists(f, "optimizer_weights", H5P_DEFAULT) <= 0);  // no step taken yet: no slots
  H5Fclose(f);
  const auto before = fs::file_size(file);
  // A model kerascpp cannot describe (a custom layer) fails before the file is touched.
  struct Doubler : Layer {
    Doubler() : Layer("Doubler", "") {}
    Tensor call(const std::vector<Tensor>& in, bool) override { return in.front() * 2.0f; }
  };
  auto in = Input({3});
  Model custom(in, (*std::make_shared<Doubler>())(std::vector{in}));
  const std::string error = test_support::error_of([&] { custom.save(file.string()); });
  CHECK(error.find("Doubler") != std::string::npos);
  CHECK(fs::file_size(file) == before);
  CHECK(test_support::error_of([&] { model.save("model.weights.h5"); }).find("save_weights") != std::string::npos);
  CHECK(test_support::error_of([&] { model.save("model.txt"); }).find(".keras") != std::string::npos);
  fs::remove(file);
}

TEST_CASE("Broken model files are IOErrors naming the file and the problem") {
  const fs::path dir = test_support::temp_path("broken_models");
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return (dir / name).string();
  };
  auto load_error = [](const std::string& path) {
    try {
      models::load_model(path);
    } catch (const IOError& e) {
      return std::string(e.what());
    }
    return std::string("no IOError");
  };
  CHECK(load_error((dir / "absent.h5").string()).find("cannot open") != std::string::npos);
  CHECK(load_error(write("text.h5", "hello, not a model")).find("neither") != std::string::npos);
  std::ifstream keras_in(kFixtures / "k3_resume.keras", std::ios::binary);
  const std::string archive((std::istreambuf_iterator<char>(keras_in)), std::istreambuf_iterator<char>());
  CHECK(load_error(write("cut.keras", archive.substr(0, archive.size() / 2))).find("cut.keras") != std::string::npos);
  std::ifstream h5_in(kFixtures / "k2_resume.h5", std::ios::binary);
  const std::string h5((std::istreambuf_iterator<char>(h5_in)), std::istreambuf_iterator<char>());
  CHECK(load_error(write("cut.h5", h5.substr(0, h5.size() / 2))).find("cut.h5") != std::string::npos);
  // A weights-only file is not a model file.
  CHECK(load_error((fs::path(KERASCPP_SOURCE_DIR) / "tests/fixtures/keras_weights/sequential.h5").string())
            .find("load_weights") != std::string::npos);
  // An unknown layer class is named.
  Model model = trained_functional();
  const std::string renamed = (dir / "renamed.h5").string();
  model.save(renamed);
  {
    const hid_t f = H5Fopen(renamed.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t attr = H5Aopen(f, "model_config", H5P_DEFAULT), type = H5Aget_type(attr);
    char* text = nullptr;
    REQUIRE(H5Aread(attr, type, &text) >= 0);
    std::string config(text);
    H5free_memory(text);
    const auto at = config.find("\"DepthwiseConv2D\"");
    REQUIRE(at != std::string::npos);
    config.replace(at, 17, "\"MysteryConv2D\"");
    const char* replaced = config.c_str();
    REQUIRE(H5Awrite(attr, type, &replaced) >= 0);
    H5Tclose(type);
    H5Aclose(attr);
    H5Fclose(f);
  }
  const std::string unknown = load_error(renamed);
  CHECK(unknown.find("MysteryConv2D") != std::string::npos);
  CHECK(unknown.find("renamed.h5") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("Our files of the fixture models reload exactly (and are left for Keras to check)") {
  // tools/make_model_fixtures.py --check-ours <this folder> loads them in real Keras.
  const fs::path dir = fs::temp_directory_path() / "kerascpp_model_files_for_keras";
  fs::create_directories(dir);
  nlohmann::json doc;
  const auto& k3 = test_support::keras_fixture("keras_models/k3_models.json");
  for (const std::string name : {"sequential", "functional", "resume", "nested"}) {
    const auto& record = k3.at("models").at(name);
    const Tensor x = fixture_tensor(record, "input", "input_shape");
    for (const std::string suffix : {".h5", ".keras"}) {
      Model model = models::load_model((kFixtures / ("k3_" + name + ".h5")).string());
      const std::string file = "ours_" + name + suffix;
      model.save((dir / file).string());
      Model again = models::load_model((dir / file).string());
      const Tensor out = model.predict(x, {.verbose = 0});
      CHECK(test_support::max_abs_diff(again.predict(x, {.verbose = 0}), out) == 0.0);
      nlohmann::json entry = {{"input", record.at("input")}, {"input_shape", record.at("input_shape")},
                              {"output", out.to_vector<float>()}, {"output_shape", out.shape().dims()}};
      if (record.contains("labels")) {
        const auto labels = record.at("labels").get<std::vector<std::int32_t>>();
        again.train_on_batch(x, Tensor::from_vector(labels, {static_cast<std::int64_t>(labels.size())}));
        entry["labels"] = labels;
        entry["output_after_step"] = again.predict(x, {.verbose = 0}).to_vector<float>();
      }
      doc[file] = entry;
    }
  }
  std::ofstream(dir / "ours.json") << doc.dump();
}

TEST_CASE("h5py reads our legacy model file as Keras' load_model_from_hdf5 does") {
  // tools/setup.sh installs python3-h5py; the script prints what h5py sees.
  Model model = trained_functional();
  auto [x, y] = batch(3);
  model.train_on_batch(x, y);
  const fs::path file = test_support::temp_path("for_h5py_model.h5");
  model.save(file.string());
  const std::string script = std::string(KERASCPP_SOURCE_DIR) + "/tests/saving/read_keras2_layout_with_h5py.py";
  const auto [status, out] = test_support::run_command("/usr/bin/python3 " + script + " " + file.string());
  INFO(out);
  REQUIRE(status == 0);
  // The config lists the InputLayer too; the optimizer's list is Keras 3's.
  std::string expected = "model Functional " + std::to_string(model.layers().size() + 1) + "\noptimizer Adam\n" +
                         "optimizer_weight adam/iteration \noptimizer_weight adam/learning_rate \n";
  const auto& slots = model.optimizer()->variables();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    std::string dims;
    for (auto d : slots[i].shape().dims()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    expected += "optimizer_weight adam/slot_" + std::to_string(i) + " " + dims + "\n";
  }
  CHECK(out.rfind(expected, 0) == 0);
  for (const auto& layer : model.layers()) {
    CHECK(out.find("layer " + layer->name() + " " + std::to_string(layer->weights().size()) + "\n") != std::string::npos);
  }
  fs::remove(file);
}

namespace {

// Replaces a root attribute with a variable-length string, as h5py would write it.
void replace_root_attribute(const std::string& path, const char* name, const std::string& value) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  H5Adelete(f, name);
  const hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
  H5Tset_size(type, H5T_VARIABLE);
  const hid_t attr = H5Acreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  const char* text = value.c_str();
  REQUIRE(H5Awrite(attr, type, &text) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(f);
}

}  // namespace

TEST_CASE("Keras 2.0-2.2 configs load: list-shaped Sequential, batch_input_shape, VarianceScaling, class Model") {
  Sequential original({Input({4}), Dense(3, {.activation = "relu"}), Dense(2)});
  const fs::path file = test_support::temp_path("keras20.h5");
  original.save(file.string());
  const std::string dense = R"({"name": "%s", "trainable": true, %s "units": %d,
      "activation": "%s", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config":
      {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer":
      {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
      "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null})";
  auto config = [&](const char* name, const char* extra, int units, const char* activation) {
    char text[1024];
    std::snprintf(text, sizeof text, dense.c_str(), name, extra, units, activation);
    return std::string(text);
  };
  auto layer = [&](const char* name, const char* extra, int units, const char* activation) {
    return R"({"class_name": "Dense", "config": )" + config(name, extra, units, activation) + "}";
  };
  const auto x = random::uniform({5, 4}, {-1.0f, 1.0f, 9});
  const Tensor expected = original.predict(x, {.verbose = 0});
  // Keras 2.0's Sequential: a bare list, the input shape on the first layer.
  replace_root_attribute(file.string(), "model_config",
                         R"({"class_name": "Sequential", "config": [)" +
                             layer("dense_1", R"("batch_input_shape": [null, 4], "dtype": "float32",)", 3, "relu") +
                             ", " + layer("dense_2", "", 2, "linear") + "]}");
  Model sequential = models::load_model(file.string());
  CHECK(sequential.layers().front()->name() == "dense_1");
  CHECK(test_support::max_abs_diff(sequential.predict(x, {.verbose = 0}), expected) == 0.0);
  // Keras 2.0's functional class name "Model", with old-style inbound nodes.
  replace_root_attribute(file.string(), "model_config",
                         R"({"class_name": "Model", "config": {"name": "model_1", "layers": [
                              {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 4],
                               "dtype": "float32", "sparse": false, "name": "input_1"}, "inbound_nodes": []},
                              {"name": "dense_1", "class_name": "Dense", "config": )" +
                             config("dense_1", "", 3, "relu") +
                             R"(, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
                              {"name": "dense_2", "class_name": "Dense", "config": )" +
                             config("dense_2", "", 2, "linear") +
                             R"(, "inbound_nodes": [[["dense_1", 0, 0, {}]]]}],
                            "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_2", 0, 0]]}})");
  Model functional = models::load_model(file.string());
  CHECK(functional.name() == "model_1");
  CHECK(test_support::max_abs_diff(functional.predict(x, {.verbose = 0}), expected) == 0.0);
  fs::remove(file);
}

TEST_CASE("A weight stored with the wrong dtype is an IOError naming the file and the dataset") {
  Sequential model({Input({4}), Dense(3)});
  const fs::path file = test_support::temp_path("wrong_dtype.h5");
  model.save(file.string());
  {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const std::string dataset = "model_weights/" + model.layers()[0]->name() + "/" + model.layers()[0]->name() + "/kernel:0";
    REQUIRE(H5Ldelete(f, dataset.c_str(), H5P_DEFAULT) >= 0);
    const hsize_t dims[2] = {4, 3};
    const hid_t space = H5Screate_simple(2, dims, nullptr);
    const hid_t data = H5Dcreate2(f, dataset.c_str(), H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const std::vector<std::int32_t> values(12, 1);
    REQUIRE(H5Dwrite(data, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
    H5Dclose(data);
    H5Sclose(space);
    H5Fclose(f);
  }
  const std::string error = test_support::error_of([&] { models::load_model(file.string()); });
  CHECK(error.find("wrong_dtype.h5") != std::string::npos);
  CHECK(error.find("kernel:0") != std::string::npos);
  CHECK(error.find("not floating-point") != std::string::npos);
  fs::remove(file);
}
