// Real data: small models must learn Fashion-MNIST (Debian's dataset-fashion-mnist) on the
// best CPU backend built, in CI-friendly time (3 epochs for the MLP, 4 for the CNN), evaluated on
// the full official test set. Both run in the "slow" suite (see .ci/run).
#include <doctest/doctest.h>

#include <chrono>

#include "keras/keras.hpp"

using namespace keras;
using namespace keras::layers;

namespace {
struct Data {
  Tensor x_train, y_train, x_test, y_test;
};
Data fashion_mnist(std::int64_t train_samples) {
  auto [train, test] = datasets::fashion_mnist::load_data();
  return {train.x.slice(0, train_samples).astype(float32) / 255.0f, train.y.slice(0, train_samples),
          test.x.astype(float32) / 255.0f, test.y};
}
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

TEST_SUITE_BEGIN("slow");

TEST_CASE("seed 001's MLP reaches 84% test accuracy on Fashion-MNIST within 3 epochs") {
  utils::set_random_seed(7);
  const Data d = fashion_mnist(60000);
  Sequential model({Input({28, 28}), Flatten(), Dense(128, {.activation = "relu"}),
                    Dense(10, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  const auto start = std::chrono::steady_clock::now();
  model.fit(d.x_train, d.y_train, {.epochs = 3, .verbose = 0});
  const auto scores = model.evaluate(d.x_test, d.y_test, {.verbose = 0});
  MESSAGE("MLP: test accuracy " << scores.at("accuracy") << " after 3 epochs on the full training split, "
                                << seconds_since(start) << " s on backend " << backend::active_name());
  CHECK(scores.at("accuracy") >= 0.84);
}

TEST_CASE("a small CNN reaches 88% test accuracy on Fashion-MNIST") {
  utils::set_random_seed(7);
  const Data d = fashion_mnist(60000);
  Sequential model({Input({28, 28}), Reshape({28, 28, 1}),
                    Conv2D(16, 3, {.activation = "relu"}), MaxPooling2D(2),
                    Conv2D(32, 3, {.activation = "relu"}), MaxPooling2D(2),
                    Flatten(), Dense(128, {.activation = "relu"}), Dense(10, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  const auto start = std::chrono::steady_clock::now();
  model.fit(d.x_train, d.y_train, {.batch_size = 64, .epochs = 4, .verbose = 0});
  const auto scores = model.evaluate(d.x_test, d.y_test, {.verbose = 0});
  MESSAGE("CNN: test accuracy " << scores.at("accuracy") << " after 4 epochs on the full training split, "
                                << seconds_since(start) << " s on backend " << backend::active_name());
  CHECK(scores.at("accuracy") >= 0.88);
}

TEST_SUITE_END();
