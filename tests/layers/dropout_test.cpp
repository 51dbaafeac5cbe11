#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("Dropout: identity in inference, seeded masks in training") {
  Dropout drop(0.5f, {.seed = 3});
  const Tensor x = Tensor::ones({50, 40});
  CHECK(drop(x, false).to_vector<float>() == x.to_vector<float>());
  const auto a = drop(x, true).to_vector<float>();
  const auto b = drop(x, true).to_vector<float>();
  CHECK(a != b);  // a fresh mask per call
  Dropout again(0.5f, {.seed = 3});
  CHECK(again(x, true).to_vector<float>() == a);  // same seed, same sequence
  Dropout shaped(0.5f, {.noise_shape = Shape{-1, 1}, .seed = 1});
  const Tensor y = shaped(x, true);
  CHECK(y.at<float>({7, 0}) == y.at<float>({7, 39}));
  CHECK_THROWS_AS(Dropout(1.5f), ValueError);
  CHECK(Dropout(0.2f)(Input({10})).shape() == Shape{-1, 10});
}

TEST_CASE("SpatialDropout2D drops whole channels") {
  SpatialDropout2D drop(0.5f, {.seed = 2});
  const Tensor y = drop(Tensor::ones({2, 3, 3, 16}), true);
  for (int c = 0; c < 16; ++c) CHECK(y.at<float>({1, 0, 0, c}) == y.at<float>({1, 2, 1, c}));
  CHECK_THROWS_AS(drop(Input({4, 4})), ShapeError);
}

TEST_CASE("Dropout layers train in a model") {
  Sequential model({Input({4, 4, 2}), Conv2D(4, 3, {.padding = "same"}), SpatialDropout2D(0.2f, {.seed = 1}),
                    Flatten(), Dropout(0.2f, {.seed = 2}), Dense(2)});
  test_support::check_training_step(model, test_support::uniform({4, 4, 4, 2}, 1),
                                    test_support::uniform({4, 2}, 2), 0.02f);
}
