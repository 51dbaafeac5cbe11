#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("Flatten, Reshape, ZeroPadding2D, Cropping2D shapes and values") {
  CHECK(Flatten()(Input({4, 4, 512})).shape() == Shape{-1, 8192});
  CHECK(Reshape({4, -1})(Input({2, 6})).shape() == Shape{-1, 4, 3});
  CHECK_THROWS_AS(Reshape({5, -1})(Input({2, 6})), ShapeError);
  CHECK_THROWS_AS(Reshape({-1, -1}), ValueError);
  CHECK(ZeroPadding2D(4)(Input({32, 32, 3})).shape() == Shape{-1, 40, 40, 3});
  CHECK(ZeroPadding2D({1, 2})(Input({5, 5, 1})).shape() == Shape{-1, 7, 9, 1});
  CHECK(ZeroPadding2D({{1, 0}, {2, 3}})(Input({5, 5, 1})).shape() == Shape{-1, 6, 10, 1});
  CHECK(Cropping2D({{1, 1}, {2, 0}})(Input({5, 5, 1})).shape() == Shape{-1, 3, 3, 1});
  CHECK_THROWS_AS(Cropping2D(3)(Input({5, 5, 1})), ShapeError);
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 2, 2, 1});
  const Tensor padded = ZeroPadding2D(1)(x);
  CHECK(padded.at<float>({0, 1, 1, 0}) == 1.0f);
  CHECK(padded.at<float>({0, 0, 0, 0}) == 0.0f);
  CHECK(Cropping2D(1)(padded).to_vector<float>() == x.to_vector<float>());
}

TEST_CASE("reshaping layers train in a model") {
  Sequential model({Input({4, 4, 2}), ZeroPadding2D(1), Conv2D(3, 3), Cropping2D({{1, 0}, {0, 1}}),
                    Reshape({-1}), Dense(2)});
  test_support::check_training_step(model, test_support::uniform({3, 4, 4, 2}, 1),
                                    test_support::uniform({3, 2}, 2));
}
