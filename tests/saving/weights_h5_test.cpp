// Keras 3 weights files: files written by real Keras load and reproduce its outputs, and the
// files we write have exactly the structure of Keras' (tests/fixtures/keras_weights/, written by
// tools/make_weights_fixtures.py).
#include <doctest/doctest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/temp_path.hpp"
#include "support/weights_fixture_models.hpp"

using namespace keras;
using namespace keras::layers;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {
const fs::path& kFixtures = test_support::weights_fixtures();
Sequential sequential() { return test_support::weights_fixture_sequential(); }
Model functional() { return test_support::weights_fixture_functional(); }

// Every group and dataset of an HDF5 file: path -> (shape or "group", its "name" attribute).
std::map<std::string, std::string> tree(const std::string& path) {
  std::map<std::string, std::string> out;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(file >= 0);
  H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, [](hid_t root, const char* name, const H5O_info_t* info, void* data) -> herr_t {
    auto& result = *static_cast<std::map<std::string, std::string>*>(data);
    std::string entry = info->type == H5O_TYPE_GROUP ? "group" : "dataset";
    if (info->type == H5O_TYPE_DATASET) {
      const hid_t d = H5Dopen2(root, name, H5P_DEFAULT), space = H5Dget_space(d);
      hsize_t dims[8];
      const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
      for (int i = 0; i < rank; ++i) entry += " " + std::to_string(dims[i]);
      H5Sclose(space);
      H5Dclose(d);
    }
    if (H5Aexists_by_name(root, name, "name", H5P_DEFAULT) > 0) entry += " named";
    result[name] = entry;
    return 0;
  }, &out, H5O_INFO_BASIC);
  H5Fclose(file);
  return out;
}
}  // namespace

TEST_CASE("weights saved by Keras 3 load and reproduce Keras' outputs") {
  const json& doc = test_support::keras_fixture("keras_weights/keras_weights.json");
  MESSAGE("weights files from Keras " << doc.at("keras_version").get<std::string>());
  for (const std::string name : {"sequential", "functional"}) {
    CAPTURE(name);
    Model model = name == "sequential" ? Model(sequential()) : functional();
    model.load_weights((kFixtures / (name + ".weights.h5")).string());
    const json& m = doc.at("models").at(name);
    const Tensor x = Tensor::from_vector(m.at("input").get<std::vector<float>>(),
                                         Shape(m.at("input_shape").get<std::vector<std::int64_t>>()));
    const Tensor y = model.predict(x, {.verbose = 0});
    const auto expected = m.at("output").get<std::vector<float>>();
    const auto got = y.to_vector<float>();
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  }
}

TEST_CASE("our weights files have Keras' structure and round-trip exactly") {
  for (const std::string name : {"sequential", "functional"}) {
    CAPTURE(name);
    backend::clear_session();
    Model model = name == "sequential" ? Model(sequential()) : functional();
    const std::string ours = test_support::temp_path(name + ".weights.h5").string();
    model.save_weights(ours);
    const std::string keras_file = (kFixtures / (name + ".weights.h5")).string();
    CHECK(tree(ours) == tree(keras_file));
    Model copy = name == "sequential" ? Model(sequential()) : functional();
    copy.load_weights(ours);
    const auto a = model.get_weights(), b = copy.get_weights();
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(test_support::max_abs_diff(a[i], b[i]) == 0.0);
  }
}

TEST_CASE("load_weights reads the weights of a .keras archive, as Keras 3 does") {
  Model model = functional();
  model.compile({.optimizer = "adam", .loss = "mse"});
  const std::string archive = test_support::temp_path("load_weights_archive.keras").string();
  model.save(archive);
  Model copy = functional();
  copy.load_weights(archive);
  const auto a = model.get_weights(), b = copy.get_weights();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(test_support::max_abs_diff(a[i], b[i]) == 0.0);
  CHECK(copy.optimizer() == nullptr);  // weights only: the archive's optimizer state is not taken
  Sequential other = sequential();
  CHECK(test_support::error_of([&] { other.load_weights(archive); }).find("another architecture") != std::string::npos);
  CHECK_THROWS_AS(other.load_weights(archive, {.by_name = true}), ValueError);
  const fs::path junk = test_support::temp_path("junk.keras");
  std::ofstream(junk) << "not a zip";
  CHECK(test_support::error_of([&] { copy.load_weights(junk.string()); }).find("is not a readable zip archive") !=
        std::string::npos);
}

TEST_CASE("weights files that do not fit are clear errors, and saving is atomic") {
  Model model = functional();
  const std::string seq = (kFixtures / "sequential.weights.h5").string();
  const std::string other = test_support::error_of([&] { model.load_weights(seq); });
  CHECK(other.find("weight 'kernel' has shape (6, 4)") != std::string::npos);
  CHECK(other.find("stores (24, 5)") != std::string::npos);
  Sequential seq_model = sequential();
  const std::string missing = test_support::error_of(
      [&] { seq_model.load_weights((kFixtures / "functional.weights.h5").string()); });
  CHECK(missing.find("has no group 'layers/conv2d/vars'") != std::string::npos);
  CHECK(missing.find("another architecture") != std::string::npos);
  Sequential wider({Input({8, 8, 3}), Conv2D(7, 3, {.padding = "same"}), BatchNormalization(), MaxPooling2D(2),
                    Conv2D(6, 3), Flatten(), Dropout(0.3f), Dense(5)});
  const std::string shape = test_support::error_of([&] { wider.load_weights(seq); });
  CHECK(shape.find("has shape (3, 3, 3, 7) but") != std::string::npos);
  CHECK(shape.find("stores (3, 3, 3, 4)") != std::string::npos);
  const auto before = wider.get_weights();
  wider.load_weights(seq, {.skip_mismatch = true});  // loads what fits, leaves the rest
  CHECK(test_support::max_abs_diff(wider.get_weights()[0], before[0]) == 0.0);
  const fs::path junk = test_support::temp_path("junk.weights.h5");
  std::ofstream(junk) << "not hdf5";
  CHECK(test_support::error_of([&] { model.load_weights(junk.string()); }).find("is not an HDF5 file") != std::string::npos);
  CHECK_THROWS_AS(model.save_weights("model.txt"), ValueError);
  // A save that cannot happen leaves the previous file as it was and no stray files.
  // In a folder of its own: the test takes its write permission away for a moment.
  const fs::path target = test_support::temp_path("atomic") / "atomic.weights.h5";
  fs::create_directories(target.parent_path());
  model.save_weights(target.string());
  const auto size = fs::file_size(target);
  fs::permissions(target.parent_path(), fs::perms::owner_write, fs::perm_options::remove);
  const bool can_write = access(target.parent_path().c_str(), W_OK) == 0;  // root ignores permissions
  fs::permissions(target.parent_path(), fs::perms::owner_write, fs::perm_options::add);
  if (!can_write) CHECK_THROWS_AS(model.save_weights(target.string()), IOError);
  CHECK(fs::file_size(target) == size);
  CHECK_THROWS_AS(model.save_weights("/nonexistent-folder/x.weights.h5"), IOError);
  fs::remove_all(target.parent_path());
}
