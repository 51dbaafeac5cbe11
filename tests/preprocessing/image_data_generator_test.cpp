// ImageDataGenerator against real Keras (its legacy module with scipy's affine_transform):
// tests/fixtures/keras_image_data_generator.json, written by tools/make_image_generator_fixtures.py.
#include <doctest/doctest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "support/fixtures.hpp"

using namespace keras;
using json = nlohmann::json;
using preprocessing::ImageDataGenerator;

namespace {
const json& fixture() { return test_support::keras_fixture("keras_image_data_generator.json"); }

Tensor tensor_of(const json& values, const json& shape) {
  return Tensor::from_vector(values.get<std::vector<float>>(), Shape(shape.get<std::vector<std::int64_t>>()));
}

void check_close(const std::vector<float>& got, const std::vector<float>& expected, double tolerance) {
  REQUIRE(got.size() == expected.size());
  int reported = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::fabs(double(got[i]) - expected[i]) > tolerance && reported++ < 5) {
      FAIL_CHECK("element " << i << ": kerascpp " << got[i] << " vs Keras " << expected[i]);
    }
  }
}
}  // namespace

TEST_CASE("apply_transform reproduces Keras for every fill mode and interpolation order") {
  const json& doc = fixture();
  MESSAGE("fixtures from Keras " << doc.at("keras_version").get<std::string>());
  const Tensor image = tensor_of(doc.at("image"), doc.at("image_shape"));
  for (const json& c : doc.at("transforms")) {
    CAPTURE(c.at("name").get<std::string>());
    ImageDataGenerator gen({.cval = 0.25, .interpolation_order = c.at("order").get<int>()});
    ImageDataGenerator configured({.fill_mode = c.at("fill_mode").get<std::string>(), .cval = 0.25,
                                   .interpolation_order = c.at("order").get<int>()});
    const json& p = c.at("params");
    preprocessing::TransformParameters params{
        .theta = p.value("theta", 0.0), .tx = p.value("tx", 0.0), .ty = p.value("ty", 0.0),
        .shear = p.value("shear", 0.0), .zx = p.value("zx", 1.0), .zy = p.value("zy", 1.0),
        .flip_horizontal = p.value("flip_horizontal", false), .flip_vertical = p.value("flip_vertical", false)};
    if (p.contains("channel_shift_intensity")) params.channel_shift_intensity = p.at("channel_shift_intensity").get<double>();
    const Tensor out = configured.apply_transform(image, params);
    CHECK(out.shape() == image.shape());
    check_close(out.to_vector<float>(), c.at("output").get<std::vector<float>>(), 1e-4);
  }
}

TEST_CASE("fit and standardize reproduce Keras: featurewise, samplewise, ZCA") {
  const json& doc = fixture().at("standardize");
  const Tensor batch = tensor_of(doc.at("batch"), doc.at("batch_shape"));
  for (const json& c : doc.at("cases")) {
    const std::string name = c.at("name");
    CAPTURE(name);
    const json& k = c.at("kwargs");
    preprocessing::ImageDataGeneratorOptions o;
    o.featurewise_center = k.value("featurewise_center", false);
    o.featurewise_std_normalization = k.value("featurewise_std_normalization", false);
    o.samplewise_center = k.value("samplewise_center", false);
    o.samplewise_std_normalization = k.value("samplewise_std_normalization", false);
    o.zca_whitening = k.value("zca_whitening", false);
    o.zca_epsilon = k.value("zca_epsilon", 1e-6);
    if (k.contains("rescale")) o.rescale = k.at("rescale").get<double>();
    ImageDataGenerator gen(o);
    gen.fit(batch);
    const Tensor out = gen.standardize(batch.slice(0, 3));
    // ZCA multiplies by a 48x48 matrix of large entries: float32 rounding shows at 1e-3.
    check_close(out.to_vector<float>(), c.at("output").get<std::vector<float>>(), name == "zca" ? 2e-3 : 1e-4);
  }
}

TEST_CASE("ImageDataGenerator rejects what it cannot do, saying what") {
  CHECK_THROWS_AS(ImageDataGenerator({.fill_mode = "mirror"}), ValueError);
  CHECK_THROWS_AS(ImageDataGenerator({.interpolation_order = 3}), ValueError);
  CHECK_THROWS_AS(ImageDataGenerator({.brightness_range = std::pair{0.5, 1.5}}), ValueError);
  ImageDataGenerator gen;
  CHECK_THROWS_AS(gen.apply_transform(Tensor::zeros({2, 4, 4, 3}), {}), ShapeError);
  CHECK_THROWS_AS(gen.fit(Tensor::zeros({2, 4, 4, 2})), ShapeError);
}
