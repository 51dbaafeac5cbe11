// fit and evaluate must not wait on the device once per batch: on the device-like backend, the
// number of synchronizations and host reads of a run does not grow with its number of batches.
#include <doctest/doctest.h>

#include "keras/keras.hpp"
#include "support/active_backend.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::ActiveBackend;

namespace {

struct Data {
  Tensor x, y;
};
Data make_data(std::int64_t n) {
  std::vector<float> x(static_cast<std::size_t>(n * 6));
  std::vector<std::int32_t> y(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 11) / 11.0f;
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<std::int32_t>((i * 7) % 3);
  return {Tensor::from_vector(x, {n, 6}), Tensor::from_vector(y, {n})};
}

Sequential make_model() {
  Sequential model({Input({6}), Dense(8, {.activation = "relu"}), Dense(3, {.activation = "softmax"})});
  model.compile({.optimizer = optimizers::Adam({.common = {.clipnorm = 1.0}}),
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy", metrics::SparseTopKCategoricalAccuracy({.k = 2})}});
  return model;
}

SyncCounts operator-(const SyncCounts& a, const SyncCounts& b) {
  return {a.synchronizations - b.synchronizations, a.host_reads - b.host_reads};
}

// The synchronizations of fit(epochs) over n samples in batches of 8, and of evaluate.
std::pair<SyncCounts, SyncCounts> count_run(std::int64_t n, int epochs, int verbose = 0) {
  Backend& device = backend::get();
  utils::set_random_seed(3);
  Sequential model = make_model();
  const Data d = make_data(n);
  const SyncCounts start = device.sync_counts();
  model.fit(d.x, d.y, {.batch_size = 8, .epochs = epochs, .verbose = verbose});
  const SyncCounts fitted = device.sync_counts();
  model.evaluate(d.x, d.y, {.batch_size = 8, .verbose = verbose});
  return {fitted - start, device.sync_counts() - fitted};
}

}  // namespace

TEST_CASE("fit and evaluate with verbose 0 synchronize a fixed number of times, not once per batch") {
  ActiveBackend device("emulated_device");
  const auto [fit_short, evaluate_short] = count_run(8 * 4, 1);     // 4 batches
  const auto [fit_long, evaluate_long] = count_run(8 * 40, 1);      // 40 batches
  const auto [fit_two_epochs, evaluate_again] = count_run(8 * 40, 2);
  MESSAGE("synchronizations: fit of 4 batches " << fit_short.synchronizations << ", of 40 batches "
          << fit_long.synchronizations << ", 2 epochs of 40 " << fit_two_epochs.synchronizations
          << "; evaluate " << evaluate_long.synchronizations);
  CHECK(fit_long.synchronizations == fit_short.synchronizations);
  CHECK(fit_long.host_reads == fit_short.host_reads);
  CHECK(evaluate_long.synchronizations == evaluate_short.synchronizations);
  // A second epoch adds what one epoch's logs cost (a few reads), not 40.
  CHECK(fit_two_epochs.synchronizations - fit_long.synchronizations <= fit_long.synchronizations);
  CHECK(fit_long.synchronizations < 20);
}

TEST_CASE("with verbose 1 the progress bar reads the batch logs only for its redraws") {
  ActiveBackend device("emulated_device");
  const auto [fit_short, evaluate_short] = count_run(8 * 4, 1, 1);
  const auto [fit_long, evaluate_long] = count_run(8 * 40, 1, 1);
  if (!utils::stdout_is_terminal()) {
    // As Keras' bar, it draws once, when the epoch ends, when not on a terminal (ctest).
    CHECK(fit_long.synchronizations == fit_short.synchronizations);
    CHECK(evaluate_long.synchronizations == evaluate_short.synchronizations);
  } else {  // at most every 0.05 s: far fewer than the 36 batches more
    CHECK(fit_long.synchronizations < fit_short.synchronizations + 18);
  }
}

TEST_CASE("a callback that reads batch logs still gets them on a device backend") {
  ActiveBackend device("emulated_device");
  Sequential model = make_model();
  const Data d = make_data(8 * 5);
  std::vector<double> losses;
  auto record = callbacks::LambdaCallback({.on_train_batch_end = [&](int, callbacks::Logs& logs) {
    losses.push_back(logs.at("loss"));
  }});
  model.fit(d.x, d.y, {.batch_size = 8, .epochs = 1, .verbose = 0, .callbacks = {record}});
  REQUIRE(losses.size() == 5);
  for (double l : losses) CHECK(std::isfinite(l));
  CHECK(losses.front() > 0.0);
}

TEST_CASE("compile(steps_per_execution) calls the batch callbacks once per execution, with the same training") {
  const Data d = make_data(8 * 10);  // 10 batches
  const auto train = [&](int per_execution, std::vector<int>* begins, std::vector<int>* ends) {
    utils::set_random_seed(11);
    Sequential model({Input({6}), Dense(3, {.activation = "softmax"})});
    model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"},
                   .steps_per_execution = per_execution});
    auto watch = callbacks::LambdaCallback({.on_train_batch_begin = [&](int b, callbacks::Logs&) { begins->push_back(b); },
                                            .on_train_batch_end = [&](int b, callbacks::Logs& logs) {
                                              ends->push_back(b);
                                              CHECK(logs.count("loss") == 1);
                                            }});
    auto history = model.fit(d.x, d.y, {.batch_size = 8, .epochs = 1, .verbose = 0, .callbacks = {watch},
                                        .shuffle = false});
    return std::make_pair(model.get_weights(), history.history.at("loss").back());
  };
  std::vector<int> begins_1, ends_1, begins_4, ends_4;
  const auto [weights_1, loss_1] = train(1, &begins_1, &ends_1);
  const auto [weights_4, loss_4] = train(4, &begins_4, &ends_4);
  CHECK(ends_1.size() == 10);
  CHECK(begins_4 == std::vector<int>{0, 4, 8});
  CHECK(ends_4 == std::vector<int>{3, 7, 9});
  CHECK(loss_4 == loss_1);
  REQUIRE(weights_4.size() == weights_1.size());
  for (std::size_t i = 0; i < weights_1.size(); ++i) CHECK(weights_4[i].to_vector<float>() == weights_1[i].to_vector<float>());
  Sequential model({Input({6}), Dense(3)});
  CHECK_THROWS_AS(model.compile({.loss = "mse", .steps_per_execution = 0}), ValueError);
}

TEST_CASE("an ImageDataGenerator flow's data workers do not read the device once per batch") {
  ActiveBackend device("emulated_device");
  const auto count = [](std::int64_t batches) {
    Backend& be = backend::get();
    utils::set_random_seed(5);
    Sequential model({Input({4, 4, 1}), Flatten(), Dense(3, {.activation = "softmax"})});
    model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    const Tensor x = keras::random::uniform({4 * batches, 4, 4, 1}, {.seed = 2});
    const Tensor y = Tensor::from_vector(std::vector<std::int32_t>(static_cast<std::size_t>(4 * batches), 1), {4 * batches});
    const SyncCounts start = be.sync_counts();
    preprocessing::ImageDataGenerator generator({.rotation_range = 10, .horizontal_flip = true});
    auto flow = generator.flow(x, y, {.batch_size = 4, .seed = 1});
    model.fit(flow, {.epochs = 1, .verbose = 0, .workers = 2});
    return be.sync_counts() - start;
  };
  const SyncCounts few = count(3), many = count(30);
  MESSAGE("a fit over a flow of 3 batches: " << few.host_reads << " host reads, of 30 batches: " << many.host_reads);
  CHECK(many.host_reads == few.host_reads);
  CHECK(many.synchronizations == few.synchronizations);
}
