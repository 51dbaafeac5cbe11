// keras::applications: Keras' parameter counts, layer names and order, and weight shapes (from
// tests/fixtures/keras_applications/, written by tools/make_application_fixtures.py in tf.keras
// 2.15, the layout of Keras' published ImageNet files), preprocess_input, decode_predictions and
// the errors for weights files that are missing or do not fit.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "applications/build_application.hpp"
#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/temp_path.hpp"

using namespace keras;
namespace fs = std::filesystem;

namespace {

// Every layer with its weights, in the model's layer order: what Keras' legacy loader matches by.
nlohmann::json layer_table(const Model& model) {
  nlohmann::json table = nlohmann::json::array();
  for (const auto& l : model.layers()) {
    nlohmann::json weights = nlohmann::json::array();
    for (const auto& w : l->trainable_weights()) weights.push_back({w->path(), w->shape().dims()});
    for (const auto& w : l->non_trainable_weights()) weights.push_back({w->path(), w->shape().dims()});
    table.push_back({{"name", l->name()}, {"class_name", l->class_name()}, {"weights", weights}});
  }
  return table;
}

}  // namespace

TEST_CASE("Applications have Keras' parameter counts, layer names, order and weight shapes") {
  const auto& doc = test_support::keras_fixture("keras_applications/keras_applications.json");
  for (const auto& record : doc.at("models")) {
    const std::string arch = record.at("arch").get<std::string>();
    CAPTURE(arch);
    CAPTURE(record.at("args").dump());
    backend::clear_session();  // Keras' default names ("conv2d_3", "add_7") count from a fresh session
    const Model model = test_support::build_application(arch, test_support::application_options(record.at("args")));
    CHECK(model.count_params() == record.at("params").get<std::int64_t>());
    CHECK(model.trainable_weights().size() == record.at("trainable_weights").get<std::size_t>());
    std::vector<std::int64_t> out_shape;
    for (const auto& d : record.at("output_shape")) out_shape.push_back(d.is_null() ? Shape::kNone : d.get<std::int64_t>());
    CHECK(model.outputs().front().shape() == Shape(out_shape));
    const nlohmann::json ours = layer_table(model);
    const nlohmann::json& keras = record.at("layers");
    REQUIRE(ours.size() == keras.size());
    for (std::size_t i = 0; i < ours.size(); ++i) {
      CAPTURE(i);
      CHECK(ours[i].dump() == keras[i].dump());
    }
  }
}

TEST_CASE("Keras' MobileNet weights files (tf.keras 2.15 legacy .h5 and Keras 3 .weights.h5) reproduce Keras' outputs") {
  for (const std::string keras : {"k2", "k3"}) {
    CAPTURE(keras);
    const auto& record = test_support::keras_fixture("keras_applications/mobilenet_0.25_notop_" + keras + ".json");
    auto options = test_support::application_options(record.at("args"));
    options.weights = (fs::path(KERASCPP_SOURCE_DIR) / "tests/fixtures/keras_applications" /
                       record.at("weights").get<std::string>()).string();
    backend::clear_session();
    Model model = test_support::build_application(record.at("arch").get<std::string>(), options);
    const Tensor x = test_support::fixture_tensor(record, "input", "input_shape");
    const Tensor expected = test_support::fixture_tensor(record, "output", "output_shape");
    CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), expected) < 1e-4);
  }
}

TEST_CASE("Seed 002's Xception head: 21,961,868 parameters, and freezing the base changes the trainable counts as in Keras") {
  backend::clear_session();
  using namespace keras::layers;
  Model base = applications::Xception({.include_top = false, .input_shape = Shape{71, 71, 3}});
  const KerasTensor in = Input({71, 71, 3});
  KerasTensor x = GlobalAveragePooling2D()(base(in));
  x = Dense(512, {.activation = "relu"})(x);
  x = Dropout(0.5)(x);
  Model model(in, Dense(100, {.activation = "softmax"})(x));
  CHECK(model.count_params() == 21'961'868);
  auto trainable = [&] {
    std::int64_t n = 0;
    for (const auto& w : model.trainable_weights()) n += w->shape().num_elements();
    return n;
  };
  // Keras: 21,907,340 trainable (the BatchNormalizations' moving statistics are not), and with
  // base.trainable = False only the head's 1,100,388.
  CHECK(trainable() == 21'907'340);
  base.set_trainable(false);
  CHECK(trainable() == 2048 * 512 + 512 + 512 * 100 + 100);
  base.set_trainable(true);
  CHECK(trainable() == 21'907'340);
}

TEST_CASE("preprocess_input follows Keras' tf, torch and caffe modes") {
  const Tensor rgb = Tensor::from_vector(std::vector<float>{0.0f, 127.5f, 255.0f, 10.0f, 20.0f, 30.0f}, {1, 2, 1, 3});
  const auto tf = applications::xception::preprocess_input(rgb).to_vector<float>();
  CHECK(tf[0] == -1.0f);
  CHECK(tf[1] == 0.0f);
  CHECK(tf[2] == 1.0f);
  const auto torch = applications::preprocess_input(rgb, "torch").to_vector<float>();
  CHECK(torch[0] == doctest::Approx((0.0 - 0.485) / 0.229));
  CHECK(torch[5] == doctest::Approx((30.0 / 255.0 - 0.406) / 0.225));
  const auto caffe = applications::preprocess_input(rgb, "caffe").to_vector<float>();  // BGR, minus the means
  CHECK(caffe[0] == doctest::Approx(255.0 - 103.939));
  CHECK(caffe[2] == doctest::Approx(0.0 - 123.68));
  CHECK(caffe[3] == doctest::Approx(30.0 - 103.939));
  CHECK(test_support::error_of([&] { applications::preprocess_input(rgb, "keras"); }).find("mode") != std::string::npos);
}

TEST_CASE("decode_predictions reads Keras' class index and names the file to fetch when it is missing") {
  const fs::path index = test_support::temp_path("imagenet_class_index.json");
  nlohmann::json classes;
  for (int i = 0; i < 1000; ++i) classes[std::to_string(i)] = {"n" + std::to_string(10000 + i), "class_" + std::to_string(i)};
  std::ofstream(index) << classes.dump();
  std::vector<float> scores(2000, 0.0f);
  scores[7] = 0.5f;
  scores[3] = 0.3f;
  scores[999] = 0.2f;
  scores[1000 + 42] = 1.0f;
  const auto decoded = applications::decode_predictions(Tensor::from_vector(scores, {2, 1000}), index.string(), 3);
  REQUIRE(decoded.size() == 2);
  CHECK(std::get<1>(decoded[0][0]) == "class_7");
  CHECK(std::get<0>(decoded[0][1]) == "n10003");
  CHECK(std::get<2>(decoded[0][2]) == 0.2f);
  CHECK(std::get<1>(decoded[1][0]) == "class_42");
  const std::string missing =
      test_support::error_of([&] { applications::decode_predictions(Tensor::zeros({1, 1000}), "/nonexistent.json"); });
  CHECK(missing.find("imagenet_class_index.json") != std::string::npos);
  CHECK(test_support::error_of([&] { applications::decode_predictions(Tensor::zeros({1, 10}), index.string()); })
            .find("(samples, 1000)") != std::string::npos);
}

TEST_CASE("A missing or misfitting weights file names the Keras file to fetch") {
  const std::string missing = test_support::error_of(
      [] { applications::Xception({.include_top = false, .weights = "/nonexistent/x.h5", .input_shape = Shape{71, 71, 3}}); });
  CHECK(missing.find("xception_weights_tf_dim_ordering_tf_kernels_notop.h5") != std::string::npos);
  CHECK(missing.find("https://storage.googleapis.com/tensorflow/keras-applications/xception/") != std::string::npos);
  // A file of another architecture: the loader's reason, and the file to fetch.
  backend::clear_session();
  Model other = applications::Xception({.include_top = false, .input_shape = Shape{71, 71, 3}, .pooling = "avg"});
  const std::string path = test_support::temp_path("xception_notop.h5").string();
  other.save_weights(path);
  const std::string misfit = test_support::error_of([&] { applications::Xception({.weights = path}); });
  CHECK(misfit.find("does not fit") != std::string::npos);
  CHECK(misfit.find("xception_weights_tf_dim_ordering_tf_kernels.h5") != std::string::npos);
  // The same file fits the architecture it came from.
  Model again =
      applications::Xception({.include_top = false, .weights = path, .input_shape = Shape{71, 71, 3}, .pooling = "avg"});
  const Tensor x = test_support::uniform({1, 71, 71, 3}, 4);
  CHECK(test_support::max_abs_diff(again.predict(x, {.verbose = 0}), other.predict(x, {.verbose = 0})) == 0.0);
  CHECK(test_support::error_of([] { applications::Xception({.input_shape = Shape{64, 64, 3}}); }).find("at least 71x71") !=
        std::string::npos);
  CHECK(test_support::error_of([] { applications::Xception({.input_shape = Shape{-1, -1, 3}}); }).find("static") !=
        std::string::npos);
}
