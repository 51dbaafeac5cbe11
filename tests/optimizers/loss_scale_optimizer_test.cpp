// LossScaleOptimizer against real Keras 3: tests/fixtures/keras_loss_scale_optimizer.json holds
// the loss scale, step counter, iterations and variable after each of a scripted sequence of
// gradients with finite, infinite and NaN steps (tools/make_loss_scale_fixture.py).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "keras/keras.hpp"
#include "support/fixtures.hpp"

using namespace keras;
using json = nlohmann::json;
namespace opt = keras::optimizers;

namespace {
float decode(const json& v) {
  if (v.is_number()) return v.get<float>();
  const std::string s = v.get<std::string>();
  if (s == "nan") return std::numeric_limits<float>::quiet_NaN();
  return s == "inf" ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
}
}  // namespace

TEST_CASE("LossScaleOptimizer: loss scale, step counter, iterations and updates match Keras step by step") {
  const json& doc = test_support::keras_fixture("keras_loss_scale_optimizer.json");
  MESSAGE("reference numbers from Keras " << doc.at("keras_version").get<std::string>());
  for (const char* name : {"sgd", "adam"}) {
    CAPTURE(name);
    opt::OptimizerPtr inner = std::string(name) == "sgd" ? opt::SGD({.learning_rate = 0.1}) : opt::Adam({.learning_rate = 0.01});
    opt::LossScaleOptimizer lso(inner, doc.at("initial_scale").get<double>(), doc.at("dynamic_growth_steps").get<std::int64_t>());
    auto var = std::make_shared<Variable>("w", "w", Tensor::from_vector(doc.at("start").get<std::vector<float>>(), {3}), true);
    const json& steps = doc.at("cases").at(name);
    REQUIRE(steps.size() == doc.at("gradients").size());
    for (std::size_t i = 0; i < steps.size(); ++i) {
      CAPTURE(i);
      std::vector<float> g;
      for (const auto& v : doc.at("gradients")[i]) g.push_back(decode(v));
      lso.apply({Tensor::from_vector(g, {3})}, {var});
      const json& want = steps[i];
      CHECK(lso.dynamic_scale() == want.at("scale").get<double>());
      CHECK(lso.step_counter() == want.at("step_counter").get<std::int64_t>());
      CHECK(lso.iterations() == want.at("iterations").get<std::int64_t>());
      const auto got = var->value().to_vector<float>();
      const auto expected = want.at("variable").get<std::vector<float>>();
      for (std::size_t j = 0; j < 3; ++j) CHECK(got[j] == doctest::Approx(expected[j]).epsilon(1e-6));
    }
  }
}

TEST_CASE("LossScaleOptimizer: Keras' defaults, argument checks, scale_loss, and compile's wrapping under mixed_float16") {
  const json& doc = test_support::keras_fixture("keras_loss_scale_optimizer.json");
  opt::LossScaleOptimizer defaults(opt::SGD());
  CHECK(defaults.initial_scale() == doc.at("default_initial_scale").get<double>());
  CHECK(defaults.dynamic_growth_steps() == doc.at("default_dynamic_growth_steps").get<std::int64_t>());
  CHECK(defaults.scale_loss(Tensor::scalar(0.5f)).item<float>() == 16384.0f);
  CHECK_THROWS_AS(opt::LossScaleOptimizer(nullptr), ValueError);
  CHECK_THROWS_AS(opt::LossScaleOptimizer(opt::SGD(), 0.0), ValueError);
  CHECK_THROWS_AS(opt::LossScaleOptimizer(opt::SGD(), 8.0, 0), ValueError);

  const auto saved = mixed_precision::global_policy();
  mixed_precision::set_global_policy("mixed_float16");
  Sequential model({layers::Input({4}), layers::Dense(3)});
  model.compile({.optimizer = "adam", .loss = "mse"});
  mixed_precision::set_global_policy(saved);
  const auto* wrapped = dynamic_cast<const opt::LossScaleOptimizer*>(model.optimizer().get());
  REQUIRE(wrapped != nullptr);
  CHECK(wrapped->inner_optimizer()->name() == "Adam");
  const Tensor x = Tensor::full({8, 4}, 0.5f), y = Tensor::full({8, 3}, 1.0f);
  const auto logs = model.train_on_batch(x, y);
  CHECK(std::isfinite(logs.at("loss")));
  CHECK(model.optimizer()->iterations() == 1);
  Sequential plain({layers::Input({4}), layers::Dense(3)});
  plain.compile({.optimizer = "adam", .loss = "mse"});
  CHECK(dynamic_cast<const opt::LossScaleOptimizer*>(plain.optimizer().get()) == nullptr);
}
