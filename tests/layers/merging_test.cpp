#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("merge layers: shapes, values, errors") {
  const KerasTensor a = Input({4, 4, 3}), b = Input({4, 4, 3}), c = Input({4, 4, 5});
  CHECK(Add()({a, b}).shape() == Shape{-1, 4, 4, 3});
  CHECK(Concatenate()({a, c}).shape() == Shape{-1, 4, 4, 8});
  CHECK(Concatenate({.axis = 1})({a, b}).shape() == Shape{-1, 8, 4, 3});
  CHECK_THROWS_AS(Add()({a, c}), ShapeError);
  CHECK_THROWS_AS(Add()(a), ValueError);
  CHECK_THROWS_AS(Concatenate({.axis = 0})({a, b}), ValueError);
  const Tensor x = Tensor::from_vector<float>({1, 2}, {1, 2}), y = Tensor::from_vector<float>({3, 5}, {1, 2});
  CHECK(Add()(std::vector{x, y}).to_vector<float>() == std::vector<float>{4, 7});
  CHECK(Multiply()(std::vector{x, y}).to_vector<float>() == std::vector<float>{3, 10});
  CHECK(Average()(std::vector{x, y, y}).to_vector<float>()[1] == doctest::Approx(4.0f));
  CHECK(Concatenate()(std::vector{x, y}).to_vector<float>() == std::vector<float>{1, 2, 3, 5});
}

TEST_CASE("merge layers train in a functional model") {
  const KerasTensor in = Input({6});
  const KerasTensor h1 = Dense(4, {.activation = "tanh"})(in);
  const KerasTensor h2 = Dense(4, {.activation = "tanh"})(in);
  const KerasTensor merged = Concatenate()({Add()({h1, h2}), Multiply()({h1, h2}), Average()({h1, h2})});
  Model model(in, Dense(2)(merged));
  test_support::check_training_step(model, test_support::uniform({8, 6}, 1),
                                    test_support::uniform({8, 2}, 2));
}

TEST_CASE("Subtract takes exactly two inputs and subtracts the second from the first") {
  const Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::from_vector(std::vector<float>{0.5f, -1, 3, 10}, {2, 2});
  CHECK(Subtract()({a, b}).to_vector<float>() == std::vector<float>{0.5f, 3, 0, -6});
  CHECK_THROWS_AS(Subtract()({a, b, a}), ValueError);
  CHECK_THROWS_AS(Subtract()({Input({3}), Input({4})}), ShapeError);
}
