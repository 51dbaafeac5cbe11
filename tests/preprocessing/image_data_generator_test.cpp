// ImageDataGenerator against real Keras (its legacy module with scipy's affine_transform):
// tests/fixtures/keras_image_data_generator.json, written by tools/make_image_generator_fixtures.py.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "keras/keras.hpp"
#include "support/temp_path.hpp"
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
    ImageDataGenerator configured({.fill_mode = c.at("fill_mode").get<std::string>(), .cval = 0.25,
                                   .interpolation_order = c.at("order").get<int>()});
    const json& p = c.at("params");
    preprocessing::TransformParameters params{
        .theta = p.value("theta", 0.0), .tx = p.value("tx", 0.0), .ty = p.value("ty", 0.0),
        .shear = p.value("shear", 0.0), .zx = p.value("zx", 1.0), .zy = p.value("zy", 1.0),
        .flip_horizontal = p.value("flip_horizontal", false), .flip_vertical = p.value("flip_vertical", false)};
    if (p.contains("channel_shift_intensity")) params.channel_shift_intensity = p.at("channel_shift_intensity").get<double>();
    if (p.contains("brightness")) params.brightness = p.at("brightness").get<double>();
    const Tensor input = image * c.value("scale", 1.0f) + c.value("offset", 0.0f);
    const Tensor out = configured.apply_transform(input, params);
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

// Whitening's defining property, on both sides of the Gram matrix the components come from:
// with more images than features the whitened images' covariance is the identity; with fewer,
// the images' own Gram matrix becomes the centering projector I - 1/n (the data's span, whitened).
TEST_CASE("ZCA whitening whitens: covariance identity for n > d, centering projector for n < d") {
  for (const auto& [n, h] : {std::pair{std::int64_t{300}, std::int64_t{2}}, std::pair{std::int64_t{10}, std::int64_t{4}}}) {
    const std::int64_t d = h * h * 3;
    CAPTURE(n);
    CAPTURE(d);
    std::vector<float> values(static_cast<std::size_t>(n * d));
    std::uint32_t state = 12345;
    for (std::size_t i = 0; i < values.size(); ++i) {
      state = state * 1664525u + 1013904223u;
      // Correlated features: a shared per-image term plus per-feature noise.
      values[i] = static_cast<float>((state >> 8) % 1000) / 1000.0f + static_cast<float>(i / d % 7) * 0.3f;
    }
    const Tensor batch = Tensor::from_vector(values, Shape({n, h, h, 3}));
    ImageDataGenerator gen({.zca_whitening = true, .zca_epsilon = 1e-9});
    gen.fit(batch);
    const std::vector<float> w = gen.standardize(batch).to_vector<float>();
    const bool more_images = n > d;
    const std::int64_t m = more_images ? d : n;
    std::vector<double> gram(static_cast<std::size_t>(m * m));
    for (std::int64_t a = 0; a < m; ++a) {
      for (std::int64_t b = 0; b < m; ++b) {
        double dot = 0;
        for (std::int64_t k = 0; k < (more_images ? n : d); ++k) {
          dot += more_images ? double(w[k * d + a]) * w[k * d + b] : double(w[a * d + k]) * w[b * d + k];
        }
        gram[a * m + b] = dot / double(n);
      }
    }
    // For n < d, compare on the complement of the all-ones vector: centering leaves float32
    // rounding along it, which ZCA (Keras' too) scales like any other direction.
    const auto centered = [&](std::int64_t a, std::int64_t b) {
      if (more_images) return gram[a * m + b];
      double v = gram[a * m + b];
      for (std::int64_t k = 0; k < m; ++k) v -= (gram[a * m + k] + gram[k * m + b]) / double(m);
      for (std::int64_t k = 0; k < m * m; ++k) v += gram[k] / double(m * m);
      return v;
    };
    double worst = 0;
    for (std::int64_t a = 0; a < m; ++a) {
      for (std::int64_t b = 0; b < m; ++b) {
        const double expected = (a == b ? 1.0 : 0.0) - (more_images ? 0.0 : 1.0 / double(n));
        worst = std::max(worst, std::fabs(centered(a, b) - expected));
      }
    }
    CHECK(worst < 1e-3);
  }
}

TEST_CASE("ImageDataGenerator rejects what it cannot do, saying what") {
  CHECK_THROWS_AS(ImageDataGenerator({.fill_mode = "mirror"}), ValueError);
  CHECK_THROWS_AS(ImageDataGenerator({.interpolation_order = 3}), ValueError);
  CHECK_THROWS_AS(ImageDataGenerator({.brightness_range = std::pair{1.5, 0.5}}), ValueError);
  CHECK_THROWS_AS(ImageDataGenerator({.dtype = int32}), ValueError);
  ImageDataGenerator half({.dtype = bfloat16});
  CHECK(half.flow(Tensor::ones({2, 3, 3, 3}), {}, {.batch_size = 2}).get(0).x.front().dtype() == bfloat16);
  ImageDataGenerator gen;
  CHECK_THROWS_AS(gen.apply_transform(Tensor::zeros({2, 4, 4, 3}), {}), ShapeError);
  CHECK_THROWS_AS(gen.fit(Tensor::zeros({2, 4, 4, 2})), ShapeError);
  ImageDataGenerator zca({.zca_whitening = true});
  CHECK_THROWS_AS(zca.fit(Tensor::zeros({0, 4, 4, 3})), ShapeError);  // was an integer division by zero
  CHECK_THROWS_AS(zca.fit(Tensor::zeros({2, 0, 4, 3})), ShapeError);
}

namespace {
preprocessing::ImageDataGeneratorOptions options_from(const json& k) {
  preprocessing::ImageDataGeneratorOptions o;
  o.rotation_range = k.value("rotation_range", 0.0);
  o.shear_range = k.value("shear_range", 0.0);
  o.channel_shift_range = k.value("channel_shift_range", 0.0);
  o.horizontal_flip = k.value("horizontal_flip", false);
  o.vertical_flip = k.value("vertical_flip", false);
  if (k.contains("fill_mode")) o.fill_mode = k.at("fill_mode").get<std::string>();
  if (k.contains("brightness_range")) o.brightness_range = std::pair{k.at("brightness_range")[0].get<double>(), k.at("brightness_range")[1].get<double>()};
  auto shift = [](const json& v) -> preprocessing::ShiftRange {
    if (v.is_array()) {
      std::vector<double> choices = v.get<std::vector<double>>();
      if (choices.size() == 1) return {choices[0]};
      return {choices[0], choices[1], choices[2]};
    }
    if (v.is_number_integer()) return v.get<int>();
    return v.get<double>();
  };
  if (k.contains("width_shift_range")) o.width_shift_range = shift(k.at("width_shift_range"));
  if (k.contains("height_shift_range")) o.height_shift_range = shift(k.at("height_shift_range"));
  if (k.contains("zoom_range")) {
    const json& z = k.at("zoom_range");
    o.zoom_range = z.is_array() ? preprocessing::ZoomRange(z[0].get<double>(), z[1].get<double>())
                                : preprocessing::ZoomRange(z.get<double>());
  }
  return o;
}
}  // namespace

TEST_CASE("seeded get_random_transform draws exactly Keras' parameters") {
  for (const json& c : fixture().at("random")) {
    CAPTURE(c.at("name").get<std::string>());
    CAPTURE(c.at("seed").get<int>());
    ImageDataGenerator gen(options_from(c.at("kwargs")));
    const auto p = gen.get_random_transform({6, 7, 3}, c.at("seed").get<std::uint32_t>());
    const json& e = c.at("params");
    CHECK(p.theta == doctest::Approx(e.at("theta").get<double>()).epsilon(1e-12));
    CHECK(p.tx == doctest::Approx(e.at("tx").get<double>()).epsilon(1e-12));
    CHECK(p.ty == doctest::Approx(e.at("ty").get<double>()).epsilon(1e-12));
    CHECK(p.shear == doctest::Approx(e.at("shear").get<double>()).epsilon(1e-12));
    CHECK(p.zx == doctest::Approx(e.at("zx").get<double>()).epsilon(1e-12));
    CHECK(p.zy == doctest::Approx(e.at("zy").get<double>()).epsilon(1e-12));
    CHECK(p.flip_horizontal == (e.at("flip_horizontal").get<double>() != 0.0));
    CHECK(p.flip_vertical == (e.at("flip_vertical").get<double>() != 0.0));
    if (e.at("brightness").is_null()) {
      CHECK_FALSE(p.brightness.has_value());
    } else {
      REQUIRE(p.brightness.has_value());
      CHECK(*p.brightness == doctest::Approx(e.at("brightness").get<double>()).epsilon(1e-12));
    }
    if (e.at("channel_shift_intensity").is_null()) {
      CHECK_FALSE(p.channel_shift_intensity.has_value());
    } else {
      REQUIRE(p.channel_shift_intensity.has_value());
      CHECK(*p.channel_shift_intensity == doctest::Approx(e.at("channel_shift_intensity").get<double>()).epsilon(1e-12));
    }
  }
}

TEST_CASE("flow with a seed yields Keras' batches: order and augmented images, epoch after epoch") {
  const json& f = fixture().at("flow");
  const Tensor x = tensor_of(f.at("x"), f.at("x_shape"));
  const Tensor y = Tensor::from_vector<std::int32_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  ImageDataGenerator gen({.rotation_range = 15, .width_shift_range = 0.2, .fill_mode = "reflect",
                          .horizontal_flip = true});
  auto flow = gen.flow(x, y, {.batch_size = 4, .shuffle = true, .seed = 42});
  CHECK(flow.size() == 3);
  std::size_t batch = 0;
  for (const json& expected : f.at("batches")) {
    CAPTURE(batch);
    const utils::Batch b = flow.get(batch);
    CHECK(b.y.front().to_vector<std::int32_t>() == expected.at("y").get<std::vector<std::int32_t>>());
    check_close(b.x.front().to_vector<float>(), expected.at("x").get<std::vector<float>>(), 1e-4);
    if (++batch == flow.size()) {
      flow.on_epoch_end();
      batch = 0;
    }
  }
  // Batches are pure functions of (seed, epoch, index): asking twice, or out of order, agrees.
  const auto again = flow.get(1).x.front().to_vector<float>();
  flow.get(0);
  CHECK(flow.get(1).x.front().to_vector<float>() == again);
}

namespace {
std::vector<Tensor> train_on_flow(int workers) {
  utils::set_random_seed(11);
  const Tensor x = keras::random::uniform({24, 6, 6, 3}, {.seed = 3});
  const Tensor y = Tensor::from_vector<std::int32_t>(std::vector<std::int32_t>(24, 1), {24});
  using namespace keras::layers;
  Sequential model({Input({6, 6, 3}), Conv2D(2, 3), Flatten(), Dense(2, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  ImageDataGenerator gen({.rotation_range = 10, .width_shift_range = 0.1, .horizontal_flip = true});
  auto flow = gen.flow(x, y, {.batch_size = 5, .seed = 4});
  model.fit(flow, {.epochs = 2, .verbose = 0, .max_queue_size = 2, .workers = workers});
  return model.get_weights();
}

class FailingSequence final : public utils::Sequence {
 public:
  std::size_t size() const override { return 4; }
  utils::Batch get(std::size_t i) override {
    if (i == 2) throw IOError("batch 2 could not be read");
    return {{Tensor::zeros({2, 3})}, {Tensor::zeros({2}, int32)}, {}};
  }
};
}  // namespace

TEST_CASE("worker threads make the same batches as the training loop itself") {
  const auto one = train_on_flow(1), three = train_on_flow(3);
  REQUIRE(one.size() == three.size());
  for (std::size_t i = 0; i < one.size(); ++i) CHECK(one[i].to_vector<float>() == three[i].to_vector<float>());
}

TEST_CASE("an error in a worker reaches fit's caller") {
  using namespace keras::layers;
  Sequential model({Input({3}), Dense(2, {.activation = "softmax"})});
  model.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
  FailingSequence data;
  CHECK_THROWS_WITH_AS(model.fit(data, {.verbose = 0, .workers = 2}), "batch 2 could not be read", IOError);
}

TEST_CASE("flow's save_to_dir writes every augmented image, named as Keras names them") {
  const auto dir = test_support::temp_path("save_to_dir");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const Tensor x = keras::random::uniform({5, 4, 4, 3}, {.seed = 8});
  ImageDataGenerator gen({.horizontal_flip = true});
  auto flow = gen.flow(x, {}, {.batch_size = 3, .seed = 1, .save_to_dir = dir.string(), .save_prefix = "aug"});
  flow.get(0);
  flow.get(1);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    CHECK(entry.path().filename().string().starts_with("aug_"));
    CHECK(preprocessing::load_img(entry.path().string()).shape() == Shape{4, 4, 3});
  }
  CHECK(files == 5);
}

TEST_CASE("featurewise_center without fit warns as Keras does, once, and leaves the images") {
  std::ostringstream captured;
  std::streambuf* saved = std::cerr.rdbuf(captured.rdbuf());
  ImageDataGenerator generator({.featurewise_center = true});
  const Tensor image = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2, 1});
  const auto once = generator.standardize(image).to_vector<float>();
  generator.standardize(image);
  std::cerr.rdbuf(saved);
  CHECK(once == image.to_vector<float>());
  const std::string text = captured.str();
  CHECK(text.find("specifies `featurewise_center`, but it hasn't been fit on any training data") != std::string::npos);
  CHECK(text.find("featurewise_center") == text.rfind("featurewise_center"));  // one warning, not one per image
}

TEST_CASE("a flow's shards are the whole batch's rows, transforms and saved files included") {
  const Tensor x = keras::random::uniform({11, 5, 5, 3}, {.seed = 9});
  const Tensor y = Tensor::from_vector<std::int32_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {11});
  ImageDataGenerator gen({.rotation_range = 20, .width_shift_range = 0.2, .horizontal_flip = true});
  const auto whole_dir = test_support::temp_path("shards_whole");
  const auto shard_dir = test_support::temp_path("shards_parts");
  for (const auto& d : {whole_dir, shard_dir}) {
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
  }
  auto whole = gen.flow(x, y, {.batch_size = 4, .shuffle = true, .seed = 5, .save_to_dir = whole_dir.string()});
  auto parts = gen.flow(x, y, {.batch_size = 4, .shuffle = true, .seed = 5, .save_to_dir = shard_dir.string()});
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (std::size_t i = 0; i < whole.size(); ++i) {
      CAPTURE(epoch);
      CAPTURE(i);
      const utils::Batch b = whole.get(i);
      const std::int64_t n = b.x.front().dim(0);
      for (const int shards : {2, 3, 5}) {  // 5 shards of the last batch (3 rows): some are empty
        std::vector<float> xs, ys;
        for (int s = 0; s < shards; ++s) {
          const utils::Batch part = parts.get_shard(i, s, shards);
          const auto [first, last] = utils::shard_rows(n, s, shards);
          REQUIRE(part.x.front().dim(0) == last - first);
          for (const float v : part.x.front().to_vector<float>()) xs.push_back(v);
          for (const std::int32_t v : part.y.front().to_vector<std::int32_t>()) ys.push_back(static_cast<float>(v));
        }
        CHECK(xs == b.x.front().to_vector<float>());
        CHECK(ys == b.y.front().astype(float32).to_vector<float>());
      }
    }
    whole.on_epoch_end();
    parts.on_epoch_end();
  }
  // Each shard saved only its own images, under the names the whole batch gives them (every
  // image was saved by 3 shardings into the same names).
  std::set<std::string> whole_names, shard_names;
  for (const auto& e : std::filesystem::directory_iterator(whole_dir)) whole_names.insert(e.path().filename());
  for (const auto& e : std::filesystem::directory_iterator(shard_dir)) shard_names.insert(e.path().filename());
  CHECK(whole_names.size() == 22);
  CHECK(shard_names == whole_names);
  CHECK_THROWS_AS(whole.get_shard(0, 2, 2), ValueError);
}
