// Optimizers and learning-rate schedules against real Keras: tests/fixtures/keras_optimizers.json
// holds Keras 3's variables after three updates with fixed gradients, and its schedules'
// values, written by tools/make_optimizer_fixtures.py.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"
#include "support/fixtures.hpp"

using namespace keras;
using json = nlohmann::json;
namespace opt = keras::optimizers;
namespace sched = keras::optimizers::schedules;

namespace {

const json& fixture() { return test_support::keras_fixture("keras_optimizers.json"); }

Tensor flat_tensor(const json& nested, const Shape& shape) {
  std::vector<float> v;
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_array()) {
      for (const auto& e : j) walk(e);
    } else {
      v.push_back(j.get<float>());
    }
  };
  walk(nested);
  return Tensor::from_vector(v, shape);
}

bool close(double got, double expected, double rtol = 1e-6) {
  return std::fabs(got - expected) <= 1e-7 + rtol * std::fabs(expected);
}

}  // namespace

TEST_CASE("optimizer updates match Keras for three steps to 1e-6 relative") {
  const std::map<std::string, std::function<opt::OptimizerPtr()>> optimizers{
      {"sgd", [] { return opt::SGD({.learning_rate = 0.1}); }},
      {"sgd_momentum", [] { return opt::SGD({.learning_rate = 0.1, .momentum = 0.9}); }},
      {"sgd_nesterov", [] { return opt::SGD({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true}); }},
      {"adam", [] { return opt::Adam({.learning_rate = 0.01}); }},
      {"adam_amsgrad", [] { return opt::Adam({.learning_rate = 0.01, .amsgrad = true}); }},
      {"adamw", [] { return opt::AdamW({.learning_rate = 0.01, .weight_decay = 0.1}); }},
      {"rmsprop", [] { return opt::RMSprop({.learning_rate = 0.01}); }},
      {"rmsprop_centered_momentum",
       [] { return opt::RMSprop({.learning_rate = 0.01, .momentum = 0.5, .centered = true}); }},
      {"adagrad", [] { return opt::Adagrad({.learning_rate = 0.1}); }},
      {"nadam", [] { return opt::Nadam({.learning_rate = 0.01}); }},
      {"sgd_clipnorm", [] { return opt::SGD({.learning_rate = 0.1, .common = {.clipnorm = 0.3}}); }},
      {"sgd_clipvalue", [] { return opt::SGD({.learning_rate = 0.1, .common = {.clipvalue = 0.25}}); }},
      {"sgd_global_clipnorm",
       [] { return opt::SGD({.learning_rate = 0.1, .common = {.global_clipnorm = 0.5}}); }},
      {"sgd_weight_decay", [] { return opt::SGD({.learning_rate = 0.1, .common = {.weight_decay = 0.2}}); }},
      {"adam_exponential_decay",
       [] { return opt::Adam({.learning_rate = sched::ExponentialDecay(0.01, 1, 0.5)}); }},
  };
  const json& doc = fixture();
  MESSAGE("reference numbers from Keras " << doc.at("keras_version").get<std::string>());
  const std::vector<Shape> shapes{{4}, {2, 2}};
  REQUIRE(doc.at("cases").size() == optimizers.size());
  for (const auto& [name, make] : optimizers) {
    CAPTURE(name);
    auto optimizer = make();
    std::vector<VariablePtr> vars;
    for (std::size_t k = 0; k < shapes.size(); ++k) {
      const std::string var_name = k == 0 ? "w0" : "w1";
      vars.push_back(std::make_shared<Variable>(var_name, var_name,
                                                flat_tensor(doc.at("start")[k], shapes[k]), true));
    }
    for (std::size_t step = 0; step < 3; ++step) {
      std::vector<Tensor> grads;
      for (std::size_t k = 0; k < shapes.size(); ++k) {
        grads.push_back(flat_tensor(doc.at("gradients")[step][k], shapes[k]));
      }
      optimizer->apply(grads, vars);
      for (std::size_t k = 0; k < vars.size(); ++k) {
        const auto got = vars[k]->value().to_vector<float>();
        const auto expected = doc.at("cases").at(name)[step][k].get<std::vector<double>>();
        for (std::size_t e = 0; e < got.size(); ++e) {
          INFO("step " << step + 1 << ", variable " << k << ", element " << e << ": " << got[e]
                       << " vs Keras " << expected[e]);
          CHECK(close(got[e], expected[e]));
        }
      }
    }
    CHECK(optimizer->iterations() == 3);
  }
}

TEST_CASE("learning-rate schedules match Keras") {
  const std::map<std::string, opt::SchedulePtr> schedules{
      {"exponential", sched::ExponentialDecay(0.1, 10, 0.5)},
      {"exponential_staircase", sched::ExponentialDecay(0.1, 10, 0.5, {.staircase = true})},
      {"piecewise", sched::PiecewiseConstantDecay({10, 50}, {0.1, 0.01, 0.001})},
      {"polynomial", sched::PolynomialDecay(0.1, 50, {.end_learning_rate = 0.01, .power = 2.0})},
      {"polynomial_cycle", sched::PolynomialDecay(0.1, 20, {.cycle = true})},
      {"inverse_time", sched::InverseTimeDecay(0.1, 10, 0.5)},
      {"cosine", sched::CosineDecay(0.1, 50, {.alpha = 0.1})},
      {"cosine_warmup", sched::CosineDecay(0.0, 50, {.warmup_target = 0.1, .warmup_steps = 10})},
      {"cosine_restarts", sched::CosineDecayRestarts(0.1, 10, {.t_mul = 2.0, .m_mul = 0.5})},
  };
  const json& doc = fixture();
  const auto steps = doc.at("schedule_steps").get<std::vector<std::int64_t>>();
  for (const auto& [name, schedule] : schedules) {
    const auto expected = doc.at("schedules").at(name).get<std::vector<double>>();
    for (std::size_t i = 0; i < steps.size(); ++i) {
      INFO(name << " at step " << steps[i] << ": " << (*schedule)(steps[i]) << " vs Keras " << expected[i]);
      CHECK(close((*schedule)(steps[i]), expected[i], 1e-5));
    }
  }
}

TEST_CASE("one-cycle rises to max_lr and anneals to max_lr / (div * final_div)") {
  const auto one_cycle = sched::OneCycle(0.1, 100);
  CHECK((*one_cycle)(0) == doctest::Approx(0.1 / 25));
  double peak = 0;
  for (int s = 0; s < 100; ++s) peak = std::max(peak, (*one_cycle)(s));
  CHECK(peak == doctest::Approx(0.1).epsilon(1e-3));
  CHECK((*one_cycle)(99) == doctest::Approx(0.1 / 25 / 1e4));
}

TEST_CASE("optimizer arguments are checked") {
  CHECK_THROWS_AS(opt::SGD({.common = {.clipnorm = 1.0, .clipvalue = 1.0}}), ValueError);
  CHECK_THROWS_AS(opt::Adam({.beta_1 = 1.5}), ValueError);
  CHECK_THROWS_AS(opt::get("adamm"), ValueError);
  CHECK(opt::get("Adam")->name() == "Adam");
  CHECK(opt::get("rmsprop")->learning_rate() == doctest::Approx(0.001));
}
