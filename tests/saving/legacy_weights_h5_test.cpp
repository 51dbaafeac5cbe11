// Keras 2's weights layout (`save_weights("x.h5")`): files Keras wrote in it load and reproduce
// Keras' outputs; ours have its attributes and dataset names, round-trip exactly, load by name,
// split long name lists as Keras does, and fail clearly when they do not fit.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/run_command.hpp"
#include "support/temp_path.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/weights_fixture_models.hpp"

using namespace keras;
using namespace keras::layers;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
const fs::path& kFixtures = test_support::weights_fixtures();
Sequential sequential() { return test_support::weights_fixture_sequential(); }
Model functional() { return test_support::weights_fixture_functional(); }

std::string temp_file(const std::string& name) { return test_support::temp_path(name).string(); }

// The strings of a fixed-length string array attribute, as h5py would return them.
std::vector<std::string> string_attribute(hid_t object, const char* name) {
  const hid_t attr = H5Aopen(object, name, H5P_DEFAULT), type = H5Aget_type(attr), space = H5Aget_space(attr);
  REQUIRE(H5Tget_class(type) == H5T_STRING);
  REQUIRE(H5Tis_variable_str(type) == 0);
  const std::size_t size = H5Tget_size(type);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
  std::vector<char> raw(n * size);
  H5Aread(attr, type, raw.data());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.emplace_back(std::string(raw.data() + i * size, size).c_str());
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(attr);
  return out;
}
}  // namespace

TEST_CASE("Keras 2-layout weights written by Keras load and reproduce Keras' outputs") {
  const json& doc = test_support::keras_fixture("keras_weights/keras_weights.json");
  for (const std::string name : {"sequential", "functional"}) {
    CAPTURE(name);
    Model model = name == "sequential" ? Model(sequential()) : functional();
    model.load_weights((kFixtures / (name + ".h5")).string());
    const json& m = doc.at("models").at(name);
    const Tensor x = Tensor::from_vector(m.at("input").get<std::vector<float>>(),
                                         Shape(m.at("input_shape").get<std::vector<std::int64_t>>()));
    const auto got = model.predict(x, {.verbose = 0}).to_vector<float>();
    const auto expected = m.at("output").get<std::vector<float>>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  }
}

TEST_CASE("our Keras 2-layout files have Keras' attributes and names and round-trip exactly") {
  backend::clear_session();
  Sequential model = sequential();
  const std::string path = temp_file("legacy.h5");
  model.save_weights(path);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  CHECK(string_attribute(file, "layer_names") ==
        std::vector<std::string>{"conv2d", "batch_normalization", "max_pooling2d", "conv2d_1", "flatten", "dropout", "dense"});
  CHECK(H5Aexists(file, "backend") > 0);
  CHECK(H5Aexists(file, "keras_version") > 0);
  const hid_t bn = H5Gopen2(file, "batch_normalization", H5P_DEFAULT);
  CHECK(string_attribute(bn, "weight_names") ==
        std::vector<std::string>{"batch_normalization/gamma:0", "batch_normalization/beta:0",
                                 "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"});
  H5Gclose(bn);
  CHECK(H5Lexists(file, "conv2d/conv2d/kernel:0", H5P_DEFAULT) > 0);
  const hid_t flatten = H5Gopen2(file, "flatten", H5P_DEFAULT);
  const hid_t empty = H5Aopen(flatten, "weight_names", H5P_DEFAULT), empty_space = H5Aget_space(empty);
  CHECK(H5Sget_simple_extent_npoints(empty_space) == 0);  // an empty float64 array, as h5py writes []
  H5Sclose(empty_space);
  H5Aclose(empty);
  H5Gclose(flatten);
  H5Fclose(file);

  Sequential copy = sequential();
  copy.load_weights(path);
  const auto a = model.get_weights(), b = copy.get_weights();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(test_support::max_abs_diff(a[i], b[i]) == 0.0);
}

TEST_CASE("h5py reads our Keras 2-layout file as Keras' legacy loader does") {
  // tools/setup.sh installs python3-h5py; the script prints what h5py sees.
  backend::clear_session();
  Sequential model = sequential();
  const std::string path = temp_file("for_h5py.h5");
  model.save_weights(path);
  const std::string script = std::string(KERASCPP_SOURCE_DIR) + "/tests/saving/read_keras2_layout_with_h5py.py";
  const auto [status, out] = test_support::run_command("/usr/bin/python3 " + script + " " + path);
  INFO(out);
  REQUIRE(status == 0);
  std::string expected = "attr backend tensorflow\nattr keras_version kerascpp 0.1.0\n";
  for (const auto& layer : model.layers()) {
    auto weights = layer->trainable_weights();
    for (const auto& w : layer->non_trainable_weights()) weights.push_back(w);
    expected += "layer " + layer->name() + " " + std::to_string(weights.size()) + "\n";
    for (const auto& w : weights) {
      std::string dims;
      for (auto d : w->shape().dims()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
      double sum = 0;
      for (float v : w->value().to_vector<float>()) sum += v;
      char line[256];
      std::snprintf(line, sizeof line, "weight %s %s/%s:0 %s %.6f\n", layer->name().c_str(), layer->name().c_str(),
                    w->name().c_str(), dims.c_str(), sum);
      expected += line;
    }
  }
  CHECK(out == expected);
}

TEST_CASE("a frozen layer's weights go in Keras' legacy order: trainable first") {
  // With a frozen Dense before a trainable one, the legacy order is not the weights() order
  // of the whole model; per layer it is trainable + non-trainable, which for BatchNormalization
  // is gamma, beta, moving_mean, moving_variance either way. The round trip must hold.
  Sequential model({Input({3}), Dense(4), BatchNormalization(), Dense(2)});
  model.layers()[0]->trainable = false;
  const std::string path = temp_file("frozen.h5");
  model.save_weights(path);
  Sequential copy({Input({3}), Dense(4), BatchNormalization(), Dense(2)});
  copy.load_weights(path);
  const auto a = model.get_weights(), b = copy.get_weights();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(test_support::max_abs_diff(a[i], b[i]) == 0.0);
}

TEST_CASE("by_name loads the layers whose names match, in any order, and skip_mismatch leaves misfits") {
  Sequential source({Input({5}), Dense(3, {.name = "alpha"}), Dense(2, {.name = "beta"})});
  const std::string path = temp_file("by_name.h5");
  source.save_weights(path);
  // Another architecture: beta first, a new layer, alpha with the same shapes.
  Sequential target({Input({5}), Dense(2, {.name = "beta_wrong_input"}), Dense(3, {.name = "gamma"}),
                     Dense(3, {.name = "alpha_like"})});
  CHECK_THROWS_AS(target.load_weights(path), IOError);  // by position: shapes differ
  Model reordered = [] {
    const KerasTensor in = Input({5});
    const KerasTensor a = Dense(3, {.name = "alpha"})(in);
    return Model(in, Dense(2, {.name = "beta"})(a));
  }();
  reordered.load_weights(path, {.by_name = true});
  const auto a = source.get_weights(), b = reordered.get_weights();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(test_support::max_abs_diff(a[i], b[i]) == 0.0);

  Sequential wider({Input({5}), Dense(4, {.name = "alpha"}), Dense(2, {.name = "other"})});
  const auto before = wider.get_weights();
  const std::string message = test_support::error_of([&] { wider.load_weights(path, {.by_name = true}); });
  CHECK(message.find("alpha") != std::string::npos);
  CHECK(message.find("(5, 4)") != std::string::npos);
  CHECK(message.find("(5, 3)") != std::string::npos);
  wider.load_weights(path, {.by_name = true, .skip_mismatch = true});  // nothing fits: nothing changes
  const auto after = wider.get_weights();
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(test_support::max_abs_diff(before[i], after[i]) == 0.0);
  CHECK_THROWS_AS(source.load_weights((kFixtures / "sequential.weights.h5").string(), {.by_name = true}), ValueError);
}

TEST_CASE("long layer_names lists are split into chunks as Keras splits them, and read back") {
  Sequential model;
  model.add(Input({1}));
  for (int i = 0; i < 700; ++i) model.add(Dense(1, {.name = "dense_layer_with_a_deliberately_long_name_so_that_seven_hundred_of_them_overflow_one_hdf5_header_" + std::to_string(1000 + i)}));
  const std::string path = temp_file("chunked.h5");
  model.save_weights(path);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(H5Aexists(file, "layer_names") == 0);
  CHECK(H5Aexists(file, "layer_names0") > 0);
  CHECK(H5Aexists(file, "layer_names1") > 0);
  H5Fclose(file);
  Sequential copy;
  copy.add(Input({1}));
  for (int i = 0; i < 700; ++i) copy.add(Dense(1));
  copy.load_weights(path);
  const auto a = model.get_weights(), b = copy.get_weights();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(test_support::max_abs_diff(a[i], b[i]) == 0.0);
}

TEST_CASE("Keras 2-layout files that do not fit are clear errors naming the file") {
  Sequential model = sequential();
  Model other = functional();
  const std::string message = test_support::error_of([&] { other.load_weights((kFixtures / "sequential.h5").string()); });
  CHECK(message.find("sequential.h5") != std::string::npos);
  CHECK(message.find("layers") != std::string::npos);
  const std::string junk = temp_file("junk.h5");
  {
    std::ofstream out(junk);
    out << "not hdf5";
  }
  CHECK_THROWS_AS(model.load_weights(junk), IOError);
}
