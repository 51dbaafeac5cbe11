// MirroredStrategy: one process, one replica per device, on two indices of the emulated device
// (memory the host cannot touch, each index with its own queue, copies between them peer to
// peer). Two devices train as one device does on the whole batch: the same weights and logs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "support/active_backend.hpp"
#include "support/weight_comparison.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::ActiveBackend;

namespace {

const std::vector<std::string> kTwoDevices = {"emulated_device:0", "emulated_device:1"};

// 50 images and labels (the last batch of 16 has 2 rows: one per device).
std::pair<Tensor, Tensor> data() {
  std::vector<float> pixels(50 * 8 * 8 * 2);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::sin(0.61f * static_cast<float>(i));
  std::vector<std::int32_t> labels(50);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>((i * 7) % 3);
  return {Tensor::from_vector(pixels, {50, 8, 8, 2}), Tensor::from_vector(labels, {50})};
}

Sequential make_model(distribute::Strategy* strategy) {
  utils::set_random_seed(21);
  Sequential model({Input({8, 8, 2}), Conv2D(4, 3, {.activation = "relu"}), MaxPooling2D(2), Flatten(),
                    Dense(3, {.activation = "softmax"})});
  std::optional<distribute::Strategy::Scope> scope;
  if (strategy) scope.emplace(*strategy);
  model.compile({.optimizer = optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9}),
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"}});
  return model;
}

}  // namespace

TEST_CASE("MirroredStrategy on two devices trains as one device on the whole batch") {
  ActiveBackend device("emulated_device:0");
  const auto [x, y] = data();

  Sequential alone = make_model(nullptr);
  utils::set_random_seed(3);
  const auto alone_history = alone.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0});

  distribute::MirroredStrategy strategy(kTwoDevices);
  CHECK(strategy.num_replicas_in_sync() == 2);
  CHECK(strategy.num_workers() == 1);
  CHECK(strategy.is_chief());
  Sequential mirrored = make_model(&strategy);
  utils::set_random_seed(3);
  const auto mirrored_history = mirrored.fit(x, y, {.batch_size = 16, .epochs = 3, .verbose = 0});

  // The same sums in another order: float32 rounding apart (measured: 2e-7 of the largest weight).
  CHECK(test_support::max_relative_difference(test_support::flat_weights(mirrored),
                                              test_support::flat_weights(alone)) < 1e-5);
  for (const char* name : {"loss", "accuracy"}) {
    CAPTURE(name);
    const auto& a = alone_history.history.at(name);
    const auto& m = mirrored_history.history.at(name);
    REQUIRE(a.size() == m.size());
    for (std::size_t e = 0; e < a.size(); ++e) CHECK(m[e] == doctest::Approx(a[e]).epsilon(1e-5));
  }
  // The trained model is the first device's; it evaluates there as any model does.
  CHECK(&mirrored.get_weights().front().backend() == &backend::get("emulated_device:0"));
  const auto logs = mirrored.evaluate(x, y, {.verbose = 0});
  CHECK(std::isfinite(logs.at("loss")));
}

TEST_CASE("MirroredStrategy: a batch of one row trains on one device, the other adds nothing") {
  ActiveBackend device("emulated_device:0");
  const auto [x, y] = data();
  Sequential alone = make_model(nullptr);
  alone.train_on_batch(x.slice(0, 1), y.slice(0, 1));
  distribute::MirroredStrategy strategy(kTwoDevices);
  Sequential mirrored = make_model(&strategy);
  mirrored.train_on_batch(x.slice(0, 1), y.slice(0, 1));  // the row is the second device's
  CHECK(test_support::max_relative_difference(test_support::flat_weights(mirrored),
                                              test_support::flat_weights(alone)) < 1e-6);
}

TEST_CASE("MirroredStrategy: BatchNormalization's moving mean is the mean of the devices'") {
  // One step on a batch of 16, 8 rows per device: each device updates the moving mean with its
  // own rows' mean, and the mean of the two is the whole batch's mean, which one device alone
  // uses. The moving variance is not linear in the rows (each device's batch variance) and the
  // gradients normalize by each device's own statistics, so only the mean is compared.
  ActiveBackend device("emulated_device:0");
  std::vector<float> pixels(16 * 4 * 4 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    pixels[i] = std::cos(0.37f * static_cast<float>(i)) + (i < pixels.size() / 2 ? 1.0f : -0.5f);
  }
  const Tensor x = Tensor::from_vector(pixels, {16, 4, 4, 3});
  const Tensor y = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0}, {16});
  const auto moving_mean = [](distribute::Strategy* strategy, const Tensor& x, const Tensor& y) {
    utils::set_random_seed(8);
    auto input = Input({4, 4, 3});
    auto h = BatchNormalization({.momentum = 0.5})(input);
    auto out = Dense(2, {.activation = "softmax"})(GlobalAveragePooling2D()(h));
    Model model(input, out);
    {
      std::optional<distribute::Strategy::Scope> scope;
      if (strategy) scope.emplace(*strategy);
      model.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
    }
    model.train_on_batch(x, y);
    for (const auto& v : model.non_trainable_weights()) {
      if (v->name() == "moving_mean") return v->value().to_vector<float>();
    }
    FAIL("no moving_mean");
    return std::vector<float>{};
  };
  const auto alone = moving_mean(nullptr, x, y);
  distribute::MirroredStrategy strategy(kTwoDevices);
  const auto mirrored = moving_mean(&strategy, x, y);
  CHECK(test_support::max_relative_difference(mirrored, alone) < 1e-6);  // measured: equal
  // Had the first device's statistics alone been kept, the moving mean would be its half's.
  const auto first_half = moving_mean(nullptr, x.slice(0, 8), y.slice(0, 8));
  CHECK(test_support::max_relative_difference(first_half, alone) > 0.5);
}

TEST_CASE("MirroredStrategy: what it cannot do is a clear error") {
  ActiveBackend device("emulated_device:0");
  CHECK_THROWS_WITH_AS(distribute::MirroredStrategy({"emulated_device:1", "emulated_device:1"}),
                       doctest::Contains("listed twice"), ValueError);
  CHECK_THROWS_AS(distribute::MirroredStrategy({"no_such_backend"}), BackendError);
  {
    distribute::MirroredStrategy strategy(kTwoDevices);
    std::vector<Tensor> one_pack = {Tensor::zeros({4})};
    CHECK_THROWS_WITH_AS(strategy.sum_into_first(one_pack), doctest::Contains("1 packs for 2 devices"), ValueError);
    std::vector<Tensor> uneven = {Tensor::zeros({4}), Tensor::zeros({5}, float32, &backend::get("emulated_device:1"))};
    CHECK_THROWS_WITH_AS(strategy.sum_into_first(uneven), doctest::Contains("with 4 elements"), ValueError);
  }
  const auto [x, y] = data();
  {
    // The model must live on the strategy's first device.
    distribute::MirroredStrategy strategy({"emulated_device:1", "emulated_device:2"});
    Sequential model = make_model(&strategy);
    CHECK_THROWS_WITH_AS(model.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0}),
                         doctest::Contains("first device"), ValueError);
  }
  {
    distribute::MirroredStrategy strategy(kTwoDevices);
    Sequential model({Input({8, 8, 2}), BatchNormalization({.synchronized = true}), Flatten(), Dense(3)});
    {
      auto scope = strategy.scope();
      model.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy"});
    }
    CHECK_THROWS_WITH_AS(model.fit(x, y, {.batch_size = 16, .epochs = 1, .verbose = 0}),
                         doctest::Contains("MultiWorkerMirroredStrategy"), ValueError);
  }
}
