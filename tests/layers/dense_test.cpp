#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::Layout;

TEST_CASE("Dense: shapes, Keras weight order, params, errors, training") {
  Dense dense(16, {.activation = "relu"});
  const KerasTensor y = dense(Input({8}));
  CHECK(y.shape() == Shape{-1, 16});
  CHECK(test_support::weight_layout(*dense) == Layout{{"kernel", {8, 16}}, {"bias", {16}}});
  CHECK(dense->count_params() == 8 * 16 + 16);
  CHECK(dense->weights()[0]->path() == dense->name() + "/kernel");
  CHECK(dense(Tensor::ones({3, 8})).shape() == Shape{3, 16});
  CHECK(dense(Tensor::ones({2, 5, 8})).shape() == Shape{2, 5, 16});  // applies on the last axis
  CHECK_THROWS_AS(dense(Tensor::ones({3, 7})), ShapeError);
  CHECK(Dense(4, {.use_bias = false})(Input({3})).node()->layer->weights().size() == 1);
  CHECK_THROWS_AS(Dense(0), ValueError);
  CHECK_THROWS_AS(Dense(4, {.activation = "sigmoidd"}), ValueError);

  Sequential model({Input({8}), Dense(16, {.activation = "tanh"}), Dense(2)});
  test_support::check_training_step(model, test_support::uniform({12, 8}, 1),
                                    test_support::uniform({12, 2}, 2));
}

TEST_CASE("Dense forward equals x @ kernel + bias, and its gradient checks") {
  Dense dense(3, {.kernel_initializer = initializers::RandomNormal({.seed = 1}),
                  .bias_initializer = initializers::Constant(0.5f)});
  const Tensor x = test_support::uniform({2, 4}, 3);
  const Tensor y = dense(x);
  const Tensor expected = ops::matmul(x, dense->kernel()->value()) + 0.5f;
  CHECK(test_support::max_abs_diff(y.detach(), expected.detach()) < 1e-6);
  test_support::check_gradients([&](const auto& in) { return dense(in[0]); }, {x});
}

TEST_CASE("kernel regularizers add Keras' penalty") {
  Dense dense(2, {.kernel_initializer = initializers::Ones(), .kernel_regularizer = regularizers::L2(0.1f)});
  dense(Input({3}));
  CHECK(dense->regularization_loss().item<float>() == doctest::Approx(0.1 * 6));
  Dense d1(2, {.kernel_initializer = initializers::Constant(-2.0f), .kernel_regularizer = "l1"});
  d1(Input({3}));
  CHECK(d1->regularization_loss().item<float>() == doctest::Approx(0.01 * 12));
}

TEST_CASE("initializers follow Keras' variance scaling and seeds") {
  const Tensor g = initializers::GlorotUniform({.seed = 3})({100, 50});
  const float limit = std::sqrt(6.0f / 150.0f);
  for (float v : g.to_vector<float>()) CHECK(std::fabs(v) <= limit);
  CHECK(initializers::GlorotUniform({.seed = 3})({100, 50}).to_vector<float>() == g.to_vector<float>());
  const auto h = initializers::HeNormal({.seed = 4})({3, 3, 64, 64}).to_vector<float>();
  double sq = 0;
  for (float v : h) sq += double(v) * v;
  CHECK(std::sqrt(sq / h.size()) == doctest::Approx(std::sqrt(2.0 / (9 * 64))).epsilon(0.05));
  CHECK(initializers::compute_fans({3, 3, 16, 32}) == std::pair<double, double>{144.0, 288.0});
  CHECK_THROWS_AS(initializers::Initializer("glorot"), ValueError);
}
