#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("Rescaling and Resizing") {
  const Tensor img = Tensor::from_vector<std::uint8_t>({0, 255, 51, 102}, {1, 2, 2, 1});
  const Tensor scaled = Rescaling(1.0f / 255.0f)(img);
  CHECK(scaled.dtype() == float32);
  CHECK(scaled.at<float>({0, 0, 1, 0}) == doctest::Approx(1.0f));
  CHECK(Rescaling(2.0f, {.offset = -1.0f})(Tensor::ones({1, 1})).item<float>() == 1.0f);
  CHECK(Resizing(71, 71)(Input({32, 32, 3})).shape() == Shape{-1, 71, 71, 3});
  CHECK(Resizing(4, 4, {.interpolation = "nearest"})(scaled).shape() == Shape{1, 4, 4, 1});
  CHECK_THROWS_AS(Resizing(4, 4, {.interpolation = "lanczos5"}), ValueError);
  CHECK_THROWS_AS(Resizing(4, 4, {.crop_to_aspect_ratio = true}), ValueError);
}

TEST_CASE("preprocessing layers pass gradients in a model") {
  Sequential model({Input({4, 4, 1}), Rescaling(0.5f), Resizing(6, 6), Conv2D(2, 3), Flatten(), Dense(1)});
  test_support::check_training_step(model, test_support::uniform({3, 4, 4, 1}, 1),
                                    test_support::uniform({3, 1}, 2));
}
