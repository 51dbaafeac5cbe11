#include <doctest/doctest.h>

#include "keras/keras.hpp"

using namespace keras;

TEST_CASE("accuracy metrics accumulate over batches and pick Keras' variant") {
  const Tensor probs = Tensor::from_vector<float>({0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f}, {3, 2});
  auto acc = metrics::get("accuracy");
  acc->update_state(Tensor::from_vector<std::uint8_t>({1, 1, 1}, {3, 1}), probs);  // sparse labels
  CHECK(acc->result() == doctest::Approx(2.0 / 3));
  acc->update_state(Tensor::from_vector<std::uint8_t>({0}, {1, 1}), probs.slice(1, 2));
  CHECK(acc->result() == doctest::Approx(3.0 / 4));
  acc->reset_state();
  CHECK(acc->result() == 0.0);
  auto binary = metrics::Accuracy();
  binary->update_state(Tensor::from_vector<float>({1, 0, 1}, {3, 1}), Tensor::from_vector<float>({0.7f, 0.6f, 0.2f}, {3, 1}));
  CHECK(binary->result() == doctest::Approx(1.0 / 3));
  auto cat = metrics::CategoricalAccuracy();
  cat->update_state(Tensor::from_vector<float>({0, 1, 1, 0, 0, 1}, {3, 2}), probs);
  CHECK(cat->result() == doctest::Approx(1.0));
}

TEST_CASE("top-k, precision, recall and AUC") {
  const Tensor probs = Tensor::from_vector<float>({0.5f, 0.3f, 0.2f, 0.1f, 0.2f, 0.7f}, {2, 3});
  auto top2 = metrics::SparseTopKCategoricalAccuracy({.k = 2});
  top2->update_state(Tensor::from_vector<std::int32_t>({1, 0}, {2}), probs);
  CHECK(top2->result() == doctest::Approx(0.5));
  const Tensor truth = Tensor::from_vector<float>({1, 1, 0, 0, 1}, {5}), scores = Tensor::from_vector<float>({0.9f, 0.4f, 0.6f, 0.1f, 0.8f}, {5});
  auto precision = metrics::Precision(), recall = metrics::Recall(), auc = metrics::AUC();
  precision->update_state(truth, scores);
  recall->update_state(truth, scores);
  auc->update_state(truth, scores);
  CHECK(precision->result() == doctest::Approx(2.0 / 3));
  CHECK(recall->result() == doctest::Approx(2.0 / 3));
  // 6 positive/negative pairs, 5 ordered correctly: ROC AUC 5/6 (up to the 200 thresholds).
  CHECK(auc->result() == doctest::Approx(5.0 / 6).epsilon(0.01));
  CHECK_THROWS_AS(metrics::get("acuracy"), ValueError);
}

TEST_CASE("regression metrics: mse and mae by Keras' strings, logged under the string asked for") {
  // Two samples of two outputs: squared errors (1, 4) and (0, 9), absolute (1, 2) and (0, 3).
  const Tensor y_true = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  const Tensor y_pred = Tensor::from_vector<float>({0, 4, 3, 1}, {2, 2});
  auto mse = metrics::get("mse"), mae = metrics::get("mae"), long_name = metrics::get("mean_squared_error");
  CHECK(mse->name() == "mse");
  CHECK(mae->name() == "mae");
  CHECK(long_name->name() == "mean_squared_error");
  mse->update_state(y_true, y_pred);
  mae->update_state(y_true, y_pred);
  CHECK(mse->result() == doctest::Approx((2.5 + 4.5) / 2));
  CHECK(mae->result() == doctest::Approx((1.5 + 1.5) / 2));
  // Weighted by sample, and (n,) targets for (n, 1) predictions, as Keras squeezes them.
  auto weighted = metrics::MeanAbsoluteError();
  weighted->update_state(Tensor::from_vector<float>({1, 2}, {2}), Tensor::from_vector<float>({2, 5}, {2, 1}),
                         Tensor::from_vector<float>({3, 1}, {2}));
  CHECK(weighted->result() == doctest::Approx((3 * 1.0 + 1 * 3.0) / 4));
  CHECK_THROWS_AS(mse->update_state(Tensor::zeros({3}), y_pred), ShapeError);
}

TEST_CASE("compile with the mae metric logs mae and val_mae") {
  Sequential model({layers::Input({2}), layers::Dense(1)});
  model.compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  const Tensor x = Tensor::from_vector<float>({0, 1, 1, 0, 1, 1, 0, 0}, {4, 2}), y = Tensor::from_vector<float>({1, 1, 2, 0}, {4, 1});
  const auto history = model.fit(x, y, {.epochs = 1, .verbose = 0, .validation_data = ValidationData(x, y)});
  CHECK(history.history.count("mae") == 1);
  CHECK(history.history.count("val_mae") == 1);
}

// Metrics accumulate and reset in place (a recorded training step keeps writing the same
// accumulators); one updated on another backend after a reset moves its accumulators there.
TEST_CASE("a reset metric starts from zero, also on another backend and with weights") {
  Backend& host = backend::get("reference");
  Backend& other = backend::get("cpu");
  const std::vector<float> p{0.1f, 0.9f, 0.8f, 0.2f};
  for (const auto& metric : {metrics::get("accuracy"), metrics::AUC({.num_thresholds = 5})}) {
    CAPTURE(metric->name());
    const bool auc = metric->name() == "auc";
    const Tensor y = auc ? Tensor::from_vector<float>({0, 1, 1, 0}, {2, 2}, &host)
                         : Tensor::from_vector<std::int32_t>({1, 1}, {2}, &host);
    metric->update_state(y, Tensor::from_vector(p, {2, 2}, &host));
    const double once = metric->result();
    metric->update_state(y, Tensor::from_vector(p, {2, 2}, &host), Tensor::from_vector<float>({2, 0}, {2}, &host));
    metric->reset_state();
    CHECK(metric->result() == 0.0);
    metric->update_state(y.clone(&other), Tensor::from_vector(p, {2, 2}, &other));
    CHECK(metric->result() == doctest::Approx(once));
  }
}
