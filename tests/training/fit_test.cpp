#include <doctest/doctest.h>

#include <cmath>

#include "support/error_of.hpp"
#include "support/gradient_check.hpp"

using namespace keras;
using test_support::error_of;
using namespace keras::layers;

namespace {
Sequential classifier(int classes = 3) {
  Sequential model({Input({4}), Dense(8, {.activation = "relu"}), Dense(classes, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}
Tensor labels(std::vector<std::int32_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}
bool weights_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (test_support::max_abs_diff(a[i], b[i]) != 0.0) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("bad training data raises a clear error before any training step") {
  Sequential model = classifier(3);
  const Tensor x = test_support::uniform({6, 4}, 1);
  const auto before = model.get_weights();
  const std::string out_of_range = error_of([&] { model.fit(x, labels({0, 1, 2, 3, 1, 0}), {.verbose = 0}); });
  CHECK(out_of_range.find("label 3 (sample 3) is outside [0, 3)") != std::string::npos);
  const std::string lengths = error_of([&] { model.fit(x, labels({0, 1, 2}), {.verbose = 0}); });
  CHECK(lengths.find("x has 6 samples but y has 3") != std::string::npos);
  const std::string empty = error_of([&] { model.fit(x.slice(0, 0), labels({}), {.verbose = 0}); });
  CHECK(empty.find("empty") != std::string::npos);
  const std::string dtype = error_of([&] {
    model.fit(Tensor::zeros({6, 4}, uint8), labels({0, 1, 2, 0, 1, 2}), {.verbose = 0});
  });
  CHECK(dtype.find("astype(keras::float32)") != std::string::npos);
  const std::string shape = error_of([&] { model.fit(test_support::uniform({6, 5}, 2), labels({0, 1, 2, 0, 1, 2}), {.verbose = 0}); });
  CHECK(shape.find("(None, 4)") != std::string::npos);
  CHECK(weights_equal(model.get_weights(), before));  // nothing was trained
  const std::string loss_name = error_of([&] { model.compile({.loss = "sparse_categorical_crossentropi"}); });
  CHECK(loss_name.find("unknown loss 'sparse_categorical_crossentropi'") != std::string::npos);
  CHECK(loss_name.find("sparse_categorical_crossentropy") != std::string::npos);
  CHECK(error_of([&] { model.compile({.optimizer = "adamm", .loss = "mse"}); }).find("adam") != std::string::npos);
  CHECK(error_of([&] { model.compile({.loss = "mse", .metrics = {"acuracy"}}); }).find("accuracy") != std::string::npos);
  Sequential uncompiled({Input({4}), Dense(2)});
  CHECK(error_of([&] { uncompiled.fit(x, labels({0, 1, 0, 1, 0, 1}), {.verbose = 0}); }).find("not compiled") !=
        std::string::npos);
}

TEST_CASE("validation_split takes the last samples, before shuffling") {
  utils::set_random_seed(5);
  Sequential model = classifier(3);
  const Tensor x = test_support::uniform({40, 4}, 3);
  const Tensor y = labels(std::vector<std::int32_t>(40, 1));
  int train_batches = 0;
  auto count = callbacks::LambdaCallback({.on_train_batch_end = [&](int, callbacks::Logs&) { ++train_batches; }});
  const auto history = model.fit(x, y, {.batch_size = 10, .epochs = 1, .verbose = 0, .validation_split = 0.25,
                                        .callbacks = {count}});
  CHECK(train_batches == 3);  // 30 training samples
  const auto val = model.evaluate(x.slice(30, 40), y.slice(30, 40), {.verbose = 0});
  CHECK(history.history.at("val_loss").front() == doctest::Approx(val.at("loss")).epsilon(1e-6));
}

TEST_CASE("sample_weight and class_weight weigh the per-sample losses as Keras does") {
  Sequential model = classifier(3);
  const Tensor x = test_support::uniform({4, 4}, 4);
  const Tensor y = labels({0, 1, 2, 1});
  const Tensor probs = model.predict(x, {.verbose = 0});
  const auto p = probs.to_vector<float>();
  double l[4];
  for (int i = 0; i < 4; ++i) l[i] = -std::log(p[i * 3 + (i == 0 ? 0 : i == 2 ? 2 : 1)]);
  const Tensor w = Tensor::from_vector<float>({1, 1, 0, 2}, {4});
  // Keras' sum_over_batch_size: the weighted sum divided by the batch size.
  CHECK(model.test_on_batch(x, y, {.sample_weight = w}).at("loss") ==
        doctest::Approx((l[0] + l[1] + 2 * l[3]) / 4).epsilon(1e-5));
  // train_on_batch reports the loss of the step, computed before the update.
  CHECK(model.train_on_batch(x, y, {.class_weight = {{1, 3.0}}}).at("loss") ==
        doctest::Approx((l[0] + 3 * l[1] + l[2] + 3 * l[3]) / 4).epsilon(1e-5));
  CHECK_THROWS_AS(model.test_on_batch(x, y, {.class_weight = {{1, 3.0}}}), ValueError);
  // class_weight reaches fit's steps: with zero weight everywhere a fresh model stays put.
  Sequential fresh = classifier(3);
  const auto before = fresh.get_weights();
  fresh.fit(x, y, {.epochs = 1, .verbose = 0, .class_weight = {{0, 0.0}, {1, 0.0}, {2, 0.0}}});
  CHECK(weights_equal(fresh.get_weights(), before));
}

TEST_CASE("epochs, initial_epoch, steps_per_epoch and validation_freq") {
  Sequential model = classifier(2);
  const Tensor x = test_support::uniform({20, 4}, 6);
  const Tensor y = labels(std::vector<std::int32_t>(20, 0));
  int batches = 0;
  auto count = callbacks::LambdaCallback({.on_train_batch_end = [&](int, callbacks::Logs&) { ++batches; }});
  const auto history = model.fit(x, y, {.batch_size = 4, .epochs = 5, .verbose = 0,
                                        .validation_data = ValidationData(x, y), .callbacks = {count},
                                        .initial_epoch = 1, .steps_per_epoch = 7, .validation_freq = 2});
  CHECK(history.epoch == std::vector<int>{1, 2, 3, 4});
  CHECK(batches == 4 * 7);  // 7 steps per epoch wrap around the 5 batches of the data
  CHECK(history.history.at("loss").size() == 4);
  CHECK(history.history.at("val_loss").size() == 2);  // epochs 2 and 4 (1-based), as Keras
}

TEST_CASE("evaluate returns metrics by name, predict batches, train/test/predict_on_batch") {
  utils::set_random_seed(9);
  Sequential model = classifier(3);
  const Tensor x = test_support::uniform({37, 4}, 7);
  const Tensor y = labels(std::vector<std::int32_t>(37, 2));
  const auto scores = model.evaluate(x, y, {.batch_size = 8, .verbose = 0});
  CHECK(scores.count("loss") == 1);
  CHECK(scores.count("accuracy") == 1);
  const Tensor all = model.predict(x, {.batch_size = 8, .verbose = 0});
  CHECK(all.shape() == Shape{37, 3});
  CHECK(test_support::max_abs_diff(all.slice(32, 37), model.predict_on_batch(x.slice(32, 37))) < 1e-6);
  const double loss_before = model.test_on_batch(x, y).at("loss");
  for (int i = 0; i < 20; ++i) model.train_on_batch(x, y);
  CHECK(model.test_on_batch(x, y).at("loss") < loss_before);
}

TEST_CASE("multi-output models: per-output losses, loss_weights and metric names") {
  const KerasTensor in = Input({4});
  const KerasTensor h = Dense(8, {.activation = "relu"})(in);
  Model model(std::vector{in}, {Dense(3, {.activation = "softmax", .name = "kind"})(h), Dense(1, {.name = "size"})(h)});
  model.compile({.optimizer = "sgd", .loss = {"sparse_categorical_crossentropy", "mse"},
                 .metrics = {"accuracy"}, .loss_weights = {1.0, 0.5}});
  const Tensor x = test_support::uniform({6, 4}, 8);
  const Tensor kinds = labels({0, 1, 2, 0, 1, 2}), sizes = test_support::uniform({6, 1}, 9);
  const auto logs = model.evaluate(std::vector{x}, std::vector{kinds, sizes}, {.verbose = 0});
  CHECK(logs.count("kind_loss") == 1);
  CHECK(logs.count("size_loss") == 1);
  CHECK(logs.count("kind_accuracy") == 1);
  CHECK(logs.at("loss") == doctest::Approx(logs.at("kind_loss") + 0.5 * logs.at("size_loss")).epsilon(1e-5));
}

namespace {
// A data source of two fixed batches, counting its epochs.
class TwoBatches final : public utils::Sequence {
 public:
  std::size_t size() const override { return 2; }
  utils::Batch get(std::size_t i) override {
    const Tensor x = test_support::uniform({5, 4}, 20 + i);
    return {{x}, {labels({0, 1, 2, 1, 0})}, {}};
  }
  void on_epoch_end() override { ++epochs; }
  int epochs = 0;
};
}  // namespace

TEST_CASE("fit and evaluate take a data source") {
  Sequential model = classifier(3);
  TwoBatches data;
  const auto history = model.fit(data, {.epochs = 3, .verbose = 0});
  CHECK(history.epoch.size() == 3);
  CHECK(data.epochs == 3);
  CHECK(model.evaluate(data, {.verbose = 0}).count("accuracy") == 1);
}

TEST_CASE("set_trainable(false) freezes every layer of a model, as Keras' model.trainable = False") {
  Sequential model({Input({3}), Dense(4, {.activation = "relu"}), Dense(2)});
  model.compile({.optimizer = "sgd", .loss = "mse"});
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}), y = Tensor::ones({2, 2});
  const auto before = model.get_weights();
  CHECK(model.trainable());
  model.set_trainable(false);
  CHECK_FALSE(model.trainable());
  CHECK(model.trainable_weights().empty());
  CHECK(model.non_trainable_weights().size() == 4);
  model.fit(x, y, {.epochs = 2, .verbose = 0});
  const auto frozen = model.get_weights();
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(frozen[i].to_vector<float>() == before[i].to_vector<float>());
  model.set_trainable(true);
  CHECK(model.trainable_weights().size() == 4);
  model.fit(x, y, {.epochs = 1, .verbose = 0});
  // The output bias: every other weight can keep its value when the random initialization
  // leaves all four relu units dead for both rows (a CI run drew such weights).
  CHECK(model.get_weights()[3].to_vector<float>() != before[3].to_vector<float>());
}

namespace {
// Fixed batches of (x, y) rows, 2 rows a batch, as a data source.
class RowBatches final : public utils::Sequence {
 public:
  RowBatches(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {}
  std::size_t size() const override { return static_cast<std::size_t>((x_.dim(0) + 1) / 2); }
  utils::Batch get(std::size_t i) override {
    const auto start = static_cast<std::int64_t>(i) * 2, stop = std::min<std::int64_t>(start + 2, x_.dim(0));
    return {{x_.slice(start, stop)}, {y_.slice(start, stop)}, {}};
  }

 private:
  Tensor x_, y_;
};
}  // namespace

TEST_CASE("fit takes a data source as validation_data, and predict takes a data source") {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {5, 3});
  const Tensor y = Tensor::from_vector<float>({1, 0, 1, 1, 0}, {5, 1});
  const auto train = [&](bool from_source) {
    utils::set_random_seed(8);
    Sequential model({Input({3}), Dense(4, {.activation = "relu"}), Dense(1)});
    model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
    RowBatches validation(x, y);
    const auto history = from_source
                             ? model.fit(x, y, {.batch_size = 2, .epochs = 2, .verbose = 0, .validation_data = validation,
                                                .shuffle = false})
                             : model.fit(x, y, {.batch_size = 2, .epochs = 2, .verbose = 0,
                                                .validation_data = ValidationData(x, y), .shuffle = false});
    RowBatches inputs(x, y);
    // Batches of 2 rows against one of 5: oneDNN's AVX2 gemm may round a row differently with
    // another row count, so equal to float32 rounding, not bit for bit.
    const auto by_source = model.predict(inputs, {.verbose = 0}).to_vector<float>();
    const auto by_arrays = model.predict(x, {.verbose = 0}).to_vector<float>();
    REQUIRE(by_source.size() == by_arrays.size());
    for (std::size_t i = 0; i < by_source.size(); ++i) CHECK(by_source[i] == doctest::Approx(by_arrays[i]).epsilon(1e-6));
    return history.history;
  };
  const auto from_source = train(true), from_arrays = train(false);
  REQUIRE(from_source.count("val_loss") == 1);
  CHECK(from_source.at("val_loss") == from_arrays.at("val_loss"));
  CHECK(from_source.at("val_mae") == from_arrays.at("val_mae"));
  RowBatches empty(Tensor::zeros({0, 3}), Tensor::zeros({0, 1}));
  Sequential model({Input({3}), Dense(1)});
  model.compile({.optimizer = "sgd", .loss = "mse"});
  CHECK_THROWS_WITH_AS(model.fit(x, y, {.verbose = 0, .validation_data = empty}), doctest::Contains("no batches"), ValueError);
}

namespace {
// Batches of 1, 3 and 2 rows: predict's buffer, sized from the first batch, must grow.
class GrowingBatches final : public utils::Sequence {
 public:
  explicit GrowingBatches(Tensor x) : x_(std::move(x)) {}
  std::size_t size() const override { return 3; }
  utils::Batch get(std::size_t i) override {
    const std::int64_t starts[] = {0, 1, 4, 6};
    return {{x_.slice(starts[i], starts[i + 1])}, {}, {}};
  }

 private:
  Tensor x_;
};
}  // namespace

TEST_CASE("predict stacks batches of any size in order, cycling a data source for steps") {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {6, 2});
  utils::set_random_seed(4);
  Sequential model({Input({2}), Dense(3, {.activation = "relu"}), Dense(2)});
  GrowingBatches batches(x);
  // Five steps: the batches of 1, 3, 2 rows, then of 1 and 3 again.
  const Tensor got = model.predict(batches, {.verbose = 0, .steps = 5});
  REQUIRE(got.shape() == Shape({10, 2}));
  std::vector<float> want;
  for (const std::size_t i : {0, 1, 2, 0, 1}) {
    const auto rows = model(batches.get(i).x.front(), false).to_vector<float>();
    want.insert(want.end(), rows.begin(), rows.end());
  }
  const auto values = got.to_vector<float>();
  REQUIRE(values.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(values[i] == doctest::Approx(want[i]).epsilon(1e-6));
  // An output without the batch axis cannot be stacked.
  Sequential scalar({Input({2}), Lambda([](const Tensor& t) { return ops::sum(t); })});
  CHECK_THROWS_WITH_AS(scalar.predict(x, {.batch_size = 4, .verbose = 0}), doctest::Contains("batch as their first axis"),
                       ShapeError);
}
