#include <doctest/doctest.h>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("pooling layers: shapes with default strides = pool_size, padding, no weights") {
  CHECK(MaxPooling2D(2)(Input({32, 32, 3})).shape() == Shape{-1, 16, 16, 3});
  CHECK(MaxPooling2D(3)(Input({32, 32, 3})).shape() == Shape{-1, 10, 10, 3});
  CHECK(MaxPooling2D(3, {.strides = 2, .padding = "same"})(Input({15, 15, 3})).shape() == Shape{-1, 8, 8, 3});
  CHECK(AveragePooling2D({2, 3})(Input({8, 9, 1})).shape() == Shape{-1, 4, 3, 1});
  CHECK(GlobalAveragePooling2D()(Input({5, 5, 7})).shape() == Shape{-1, 7});
  CHECK(GlobalMaxPooling2D({.keepdims = true})(Input({5, 5, 7})).shape() == Shape{-1, 1, 1, 7});
  MaxPooling2D pool(2);
  pool(Input({4, 4, 1}));
  CHECK(pool->count_params() == 0);
  CHECK_THROWS_AS(MaxPooling2D(4)(Input({2, 2, 1})), ShapeError);
  CHECK_THROWS_AS(MaxPooling2D(2)(Input({4, 4})), ShapeError);
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {1, 2, 2, 1});
  CHECK(GlobalAveragePooling2D()(x).item<float>() == 2.5f);
  CHECK(GlobalMaxPooling2D()(x).item<float>() == 4.0f);
  CHECK(AveragePooling2D(2)(x).item<float>() == 2.5f);
}

TEST_CASE("pooling layers train inside a model") {
  Sequential model({Input({8, 8, 2}), Conv2D(4, 3, {.padding = "same"}), MaxPooling2D(2),
                    AveragePooling2D(2, {.padding = "same"}), Conv2D(4, 1), GlobalAveragePooling2D(),
                    Dense(2)});
  test_support::check_training_step(model, test_support::uniform({4, 8, 8, 2}, 1),
                                    test_support::uniform({4, 2}, 2));
  Sequential gmax({Input({6, 6, 2}), Conv2D(4, 3), GlobalMaxPooling2D(), Dense(2)});
  test_support::check_training_step(gmax, test_support::uniform({4, 6, 6, 2}, 3),
                                    test_support::uniform({4, 2}, 4));
}
