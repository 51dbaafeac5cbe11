#include <doctest/doctest.h>

#include "support/gradient_check.hpp"

using namespace keras;
using test_support::check_gradients;
using test_support::uniform;

TEST_CASE("add/subtract/multiply/divide broadcast like NumPy") {
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector<float>({10, 20, 30}, {3});
  CHECK((a + b).to_vector<float>() == std::vector<float>{11, 22, 33, 14, 25, 36});
  CHECK((a - b).to_vector<float>() == std::vector<float>{-9, -18, -27, -6, -15, -24});
  CHECK((a * b).to_vector<float>() == std::vector<float>{10, 40, 90, 40, 100, 180});
  const Tensor col = Tensor::from_vector<float>({2, 4}, {2, 1});
  CHECK((a / col).to_vector<float>() == std::vector<float>{0.5f, 1, 1.5f, 1, 1.25f, 1.5f});
  CHECK((a * 2.0f + 1.0f).to_vector<float>() == std::vector<float>{3, 5, 7, 9, 11, 13});
  CHECK((1.0f - a).to_vector<float>() == std::vector<float>{0, -1, -2, -3, -4, -5});
  CHECK((12.0f / a).to_vector<float>() == std::vector<float>{12, 6, 4, 3, 2.4f, 2});
  CHECK_THROWS_AS(a + Tensor::ones({2}), ShapeError);
}

TEST_CASE("gradients of broadcasting binary ops") {
  const Tensor a = uniform({3, 4}, 1), b = uniform({4}, 2), c = uniform({3, 1}, 3, 0.5f, 1.5f);
  check_gradients([](const auto& in) { return ops::add(in[0], in[1]); }, {a, b});
  check_gradients([](const auto& in) { return ops::subtract(in[0], in[1]); }, {a, c});
  check_gradients([](const auto& in) { return ops::multiply(in[0], in[1]); }, {a, b});
  check_gradients([](const auto& in) { return ops::divide(in[0], in[1]); }, {a, c});
  const Tensor d = test_support::distinct_values({3, 4}, 4), e = test_support::distinct_values({3, 4}, 5);
  check_gradients([](const auto& in) { return ops::maximum(in[0], in[1]); }, {d, e},
                  {.epsilon = 1e-3});
  check_gradients([](const auto& in) { return ops::minimum(in[0], in[1]); }, {d, e},
                  {.epsilon = 1e-3});
  check_gradients([](const auto& in) { return ops::affine(in[0], -3.0f, 2.0f); }, {a});
}

TEST_CASE("gradients of element-wise math") {
  const Tensor x = uniform({2, 5}, 7);
  const Tensor positive = uniform({2, 5}, 8, 0.5f, 2.0f);
  check_gradients([](const auto& in) { return ops::negative(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::exp(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::log(in[0]); }, {positive});
  check_gradients([](const auto& in) { return ops::sqrt(in[0]); }, {positive});
  check_gradients([](const auto& in) { return ops::square(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::reciprocal(in[0]); }, {positive});
  const Tensor away_from_kinks = test_support::distinct_values({2, 5}, 9);
  check_gradients([](const auto& in) { return ops::abs(in[0]); }, {away_from_kinks},
                  {.epsilon = 1e-3});
  check_gradients([](const auto& in) { return ops::clip(in[0], -0.5f, 0.5f); },
                  {away_from_kinks}, {.epsilon = 1e-3});
}

TEST_CASE("sum, mean and max reduce over axes with gradients") {
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(ops::sum(a).item<float>() == 21.0f);
  CHECK(ops::sum(a, {0}).to_vector<float>() == std::vector<float>{5, 7, 9});
  CHECK(ops::sum(a, {1}, true).shape() == Shape{2, 1});
  CHECK(ops::mean(a, {-1}).to_vector<float>() == std::vector<float>{2, 5});
  CHECK(ops::max(a, 0).to_vector<float>() == std::vector<float>{4, 5, 6});
  CHECK(ops::max(a).shape() == Shape{});  // keras.ops.max(x): over everything, a scalar
  CHECK(ops::max(a).item<float>() == 6.0f);
  CHECK(ops::mean(a).item<float>() == 3.5f);
  CHECK_THROWS_AS(ops::max(Tensor::zeros({0, 3})), ShapeError);
  const Tensor x = test_support::distinct_values({2, 3, 4}, 11);
  check_gradients([](const auto& in) { return ops::sum(in[0], {0, 2}); }, {x});
  check_gradients([](const auto& in) { return ops::mean(in[0], {1}, true); }, {x});
  check_gradients([](const auto& in) { return ops::max(in[0], 1); }, {x}, {.epsilon = 1e-3});
  check_gradients([](const auto& in) { return ops::max(in[0]); }, {x}, {.epsilon = 1e-3});
}

TEST_CASE("matmul values, shape errors and gradients") {
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector<float>({1, 0, 0, 1, 1, 1}, {3, 2});
  CHECK(ops::matmul(a, b).to_vector<float>() == std::vector<float>{4, 5, 10, 11});
  CHECK_THROWS_AS(ops::matmul(a, a), ShapeError);
  check_gradients([](const auto& in) { return ops::matmul(in[0], in[1]); },
                  {uniform({3, 5}, 1), uniform({5, 4}, 2)});
}

TEST_CASE("ops name the dtype problem and the fix") {
  const Tensor labels = Tensor::from_vector<std::int32_t>({1, 2}, {2});
  try {
    (void)ops::exp(labels);
    FAIL("expected a ValueError");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("astype(keras::float32)") != std::string::npos);
  }
}
