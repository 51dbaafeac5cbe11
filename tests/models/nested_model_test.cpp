// Models as layers of other models (keras/models/nested_model.hpp), and Layer::output / input.
// Real Keras' files of the same architecture come from tools/make_model_fixtures.py ("nested").
#include <doctest/doctest.h>

#include <filesystem>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/fixtures.hpp"
#include "support/gradient_check.hpp"
#include "support/temp_path.hpp"

using namespace keras;
using namespace keras::layers;
namespace fs = std::filesystem;

using test_support::fixture_tensor;

namespace {

const fs::path kFixtures = fs::path(KERASCPP_SOURCE_DIR) / "tests" / "fixtures" / "keras_models";

// tools/make_model_fixtures.py's nested(): a functional base with two BatchNormalizations and a
// Sequential head, both inside a functional model.
Model make_base() {
  const KerasTensor in = Input({8, 8, 3}, {.name = "base_in"});
  KerasTensor x = Conv2D(4, 3, {.padding = "same", .name = "base_conv"})(in);
  x = BatchNormalization({.name = "base_bn"})(x);
  x = Conv2D(5, 3, {.activation = "relu", .name = "base_conv2"})(x);
  x = BatchNormalization({.name = "base_bn2"})(x);
  return Model(in, x, "base");
}

Sequential make_head() {
  return Sequential({Input({5}), Dense(6, {.activation = "relu", .name = "head_dense"}),
                     Dropout(0.5, {.name = "head_dropout"})},
                    "head");
}

Model make_nested(Model& base, Sequential& head) {
  const KerasTensor in = Input({8, 8, 3}, {.name = "image"});
  const KerasTensor pooled = GlobalAveragePooling2D({.name = "pool"})(base(in));
  return Model(in, Dense(3, {.activation = "softmax", .name = "classifier"})(head(pooled)), "nested");
}

std::int64_t count(const std::vector<VariablePtr>& weights) {
  std::int64_t n = 0;
  for (const auto& w : weights) n += w->shape().num_elements();
  return n;
}

}  // namespace

TEST_CASE("A model is a layer of another: shapes, summary, weights and Keras' trainable counts") {
  backend::clear_session();
  Model base = make_base();
  Sequential head = make_head();
  Model model = make_nested(base, head);
  const auto& record = test_support::keras_fixture("keras_models/k3_models.json").at("models").at("nested");
  CHECK(model.count_params() == record.at("params").get<std::int64_t>());
  CHECK(model.layers().size() == 4);  // base, pool, head, classifier: each nested model is one layer, as in Keras
  CHECK(model.get_layer("base") == base.as_layer());
  CHECK(base.as_layer()->class_name() == "Functional");
  CHECK(head.as_layer()->class_name() == "Sequential");
  CHECK(model.weights().size() == 16);

  const std::string summary = model.summary_string();
  CHECK(summary.find("base (Functional)") != std::string::npos);
  CHECK(summary.find("head (Sequential)") != std::string::npos);
  CHECK(summary.find("(None, 6, 6, 5)") != std::string::npos);

  // Frozen as Keras freezes: the fixture's counts, made with base.trainable = False.
  CHECK(model.trainable_weights().size() == 12);  // 8 in the base (moving statistics aside), 4 after it
  model.get_layer("base")->trainable = false;
  CHECK(model.trainable_weights().size() == record.at("trainable_weights").get<std::size_t>());
  CHECK(model.non_trainable_weights().size() == record.at("non_trainable_weights").get<std::size_t>());
  CHECK_FALSE(base.trainable());  // the change reached the model and its layers
  CHECK_FALSE(base.get_layer("base_conv")->trainable);
  CHECK(count(model.trainable_weights()) == 6 * 5 + 6 * 3 + 3 + 6);
  base.set_trainable(true);
  CHECK(model.get_layer("base")->trainable);
  CHECK(count(model.trainable_weights()) + count(model.non_trainable_weights()) == model.count_params());
  CHECK(model.trainable_weights().size() == 12);

  // The same layer on every call, so calling the base twice shares its weights.
  const KerasTensor a = Input({8, 8, 3}), b = Input({8, 8, 3});
  Model twin({a, b}, {Add()({base(a), base(b)})});
  CHECK(twin.count_params() == base.count_params());
  const Tensor x = test_support::uniform({2, 8, 8, 3}, 3);
  CHECK(test_support::max_abs_diff(twin({x, x}).front(), ops::multiply(base(x), Tensor::scalar(2.0f))) < 1e-5);
}

TEST_CASE("Keras' files of a nested model load: whole models, to_json, and both weights layouts") {
  for (const std::string prefix : {"k2", "k3"}) {
    CAPTURE(prefix);
    const auto& record = test_support::keras_fixture("keras_models/" + prefix + "_models.json").at("models").at("nested");
    const Tensor x = fixture_tensor(record, "input", "input_shape");
    const Tensor expected = fixture_tensor(record, "output", "output_shape");
    for (const std::string suffix : {".h5", ".keras"}) {
      const fs::path file = kFixtures / (prefix + "_nested" + suffix);
      if (!fs::exists(file)) continue;  // tf.keras 2 writes no .keras archives
      Model loaded = models::load_model(file.string());
      CHECK(loaded.get_layer("base")->class_name() == "Functional");
      CHECK(loaded.get_layer("head")->class_name() == "Sequential");
      CHECK_FALSE(loaded.get_layer("base")->trainable);  // saved frozen, loaded frozen
      CHECK(loaded.trainable_weights().size() == record.at("trainable_weights").get<std::size_t>());
      CHECK(test_support::max_abs_diff(loaded.predict(x, {.verbose = 0}), expected) < 1e-5);
    }
    // Into a model built in code and left unfrozen: tf.keras wrote the frozen base's weights in
    // layer order, which differs from the unfrozen trainable-first order; the names decide.
    backend::clear_session();
    Model base = make_base();
    Sequential head = make_head();
    Model model = make_nested(base, head);
    model.load_weights((kFixtures / (prefix + "_nested_tojson" + (prefix == "k3" ? ".weights.h5" : "_weights.h5"))).string());
    CHECK(test_support::max_abs_diff(model.predict(x, {.verbose = 0}), expected) < 1e-5);
  }
}

TEST_CASE("Training through a nested model: gradients reach it, and a frozen base stays as it was") {
  backend::clear_session();
  Model base = make_base();
  Sequential head = make_head();
  Model model = make_nested(base, head);
  const Tensor x = test_support::uniform({4, 8, 8, 3}, 7);
  const Tensor labels = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 1}, {4});
  // The gradient with respect to a weight inside a nested base matches finite differences (a
  // smooth net without relu kinks, in inference mode, so the check sees one fixed function).
  const KerasTensor smooth_in = Input({5, 5, 2});
  Model smooth_base(smooth_in, BatchNormalization()(Conv2D(3, 3, {.activation = "tanh"})(smooth_in)));
  const KerasTensor outer_in = Input({5, 5, 2});
  Model smooth(outer_in, Dense(2, {.activation = "tanh"})(GlobalAveragePooling2D()(smooth_base(outer_in))));
  const Tensor small = test_support::uniform({3, 5, 5, 2}, 9);
  const VariablePtr kernel = smooth_base.weights().front();
  test_support::check_gradients_in_place([&] { return ops::mean(ops::square(smooth(small, false))); }, {kernel->value()},
                                         {.epsilon = 1e-3, .rtol = 2e-2, .atol = 2e-4});

  model.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1}), .loss = "sparse_categorical_crossentropy"});
  base.set_trainable(false);
  const auto base_before = base.get_weights();
  const auto head_before = head.get_weights();
  model.fit(x, labels, {.batch_size = 2, .epochs = 2, .verbose = 0});
  const auto base_after = base.get_weights();
  for (std::size_t i = 0; i < base_before.size(); ++i) {
    CAPTURE(base.weights()[i]->path());
    // Frozen BatchNormalization runs in inference mode: its moving statistics stay too.
    CHECK(test_support::max_abs_diff(base_before[i], base_after[i]) == 0.0);
  }
  CHECK(test_support::max_abs_diff(head_before.front(), head.get_weights().front()) > 0.0);

  base.set_trainable(true);
  model.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1}), .loss = "sparse_categorical_crossentropy"});
  model.fit(x, labels, {.batch_size = 2, .epochs = 1, .verbose = 0});
  CHECK(test_support::max_abs_diff(base_before.front(), base.get_weights().front()) > 0.0);
}

TEST_CASE("Nested models save and load in every layout, and Sequential takes a model as a layer") {
  backend::clear_session();
  Model base = make_base();
  Sequential stack({Input({8, 8, 3}), base, GlobalAveragePooling2D(), Dense(2)}, "stack");
  CHECK(stack.layers().size() == 3);
  CHECK(stack.count_params() == base.count_params() + 5 * 2 + 2);
  base.set_trainable(false);
  const Tensor x = test_support::uniform({3, 8, 8, 3}, 11);
  const Tensor out = stack.predict(x, {.verbose = 0});
  for (const std::string file : {"nested_stack.keras", "nested_stack.h5"}) {
    CAPTURE(file);
    const std::string path = test_support::temp_path(file).string();
    stack.save(path);
    Model again = models::load_model(path);
    CHECK(again.get_layer("base")->class_name() == "Functional");
    CHECK_FALSE(again.get_layer("base")->trainable);
    CHECK(test_support::max_abs_diff(again.predict(x, {.verbose = 0}), out) == 0.0);
  }
  for (const std::string file : {"nested_stack.weights.h5", "nested_stack_legacy.h5"}) {
    CAPTURE(file);
    const std::string path = test_support::temp_path(file).string();
    stack.save_weights(path);
    backend::clear_session();
    Model fresh_base = make_base();
    Sequential fresh({Input({8, 8, 3}), fresh_base, GlobalAveragePooling2D(), Dense(2)}, "stack");
    fresh.load_weights(path);
    CHECK(test_support::max_abs_diff(fresh.predict(x, {.verbose = 0}), out) == 0.0);
  }
  Model json_copy = models::model_from_json(stack.to_json());
  CHECK(json_copy.get_layer("base")->count_params() == base.count_params());
}

TEST_CASE("Layer output and input give intermediate tensors for feature extraction, as in Keras") {
  backend::clear_session();
  Model base = make_base();
  Model features(base.inputs(), {base.get_layer("base_bn")->output()}, "features");
  CHECK(features.outputs().front().shape() == Shape{-1, 8, 8, 4});
  CHECK(base.get_layer("base_conv2")->input().node() == base.get_layer("base_bn")->output().node());
  const Tensor x = test_support::uniform({2, 8, 8, 3}, 5);
  const Tensor direct = (*base.get_layer("base_bn"))((*base.get_layer("base_conv"))(x));
  CHECK(test_support::max_abs_diff(features(x), direct) == 0.0);
  CHECK(base.inputs().front().node() == base.get_layer("base_conv")->input().node());

  Dense never(3);
  CHECK(test_support::error_of([&] { (void)never->output(); }).find("never been called") != std::string::npos);
  Dense shared(3, {.name = "shared_twice"});
  const KerasTensor a = shared(Input({4})), b = shared(Input({4}));
  const std::string twice = test_support::error_of([&] { (void)shared->output(); });
  CHECK(twice.find("shared_twice") != std::string::npos);
  CHECK(twice.find("2 calls") != std::string::npos);
  CHECK(a.shape() == b.shape());

  // A model with two outputs cannot be one layer (ours have one output); the error says why.
  const KerasTensor in = Input({4});
  Model two({in}, {Dense(1)(in), Dense(2)(in)});
  CHECK(test_support::error_of([&] { (void)two.as_layer(); }).find("2 outputs") != std::string::npos);
}
