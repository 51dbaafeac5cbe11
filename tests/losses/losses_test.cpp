#include <doctest/doctest.h>

#include <cmath>

#include "keras/keras.hpp"

using namespace keras;

TEST_CASE("loss objects reduce with sum_over_batch_size and match their formulas") {
  const Tensor t = Tensor::from_vector<float>({0.0f, 1.0f, 2.0f, -1.0f}, {2, 2});
  const Tensor p = Tensor::from_vector<float>({0.5f, 1.0f, 0.0f, 1.0f}, {2, 2});
  CHECK(losses::MeanSquaredError()->operator()(t, p).item<float>() == doctest::Approx((0.25 + 0 + 4 + 4) / 4));
  CHECK(losses::get("mae")->operator()(t, p).item<float>() == doctest::Approx((0.5 + 0 + 2 + 2) / 4));
  // Huber (delta 1): 0.5 e^2 inside, |e| - 0.5 outside.
  CHECK(losses::Huber()->operator()(t, p).item<float>() == doctest::Approx((0.125 + 0 + 1.5 + 1.5) / 4));
  const Tensor q = Tensor::from_vector<float>({0.25f, 0.75f}, {1, 2}), r = Tensor::from_vector<float>({0.5f, 0.5f}, {1, 2});
  CHECK(losses::KLDivergence()->operator()(q, r).item<float>() ==
        doctest::Approx(0.25 * std::log(0.5) + 0.75 * std::log(1.5)));
  const Tensor labels = Tensor::from_vector<std::int32_t>({1, 0}, {2});
  const Tensor probs = Tensor::from_vector<float>({0.2f, 0.8f, 0.6f, 0.4f}, {2, 2});
  const Tensor w = Tensor::from_vector<float>({2.0f, 0.0f}, {2});
  CHECK(losses::SparseCategoricalCrossentropy()->operator()(labels, probs, w).item<float>() ==
        doctest::Approx(2 * -std::log(0.8) / 2));
  CHECK(losses::get("huber")->name() == "huber_loss");
  CHECK_THROWS_AS(losses::get("msee"), ValueError);
}
