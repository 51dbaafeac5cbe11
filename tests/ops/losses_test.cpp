#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"

using namespace keras;
using test_support::check_gradients;
using test_support::uniform;

TEST_CASE("cross-entropies match their formulas") {
  const Tensor p = Tensor::from_vector<float>({0.7f, 0.2f, 0.1f, 0.1f, 0.1f, 0.8f}, {2, 3});
  const Tensor labels = Tensor::from_vector<std::int32_t>({0, 2}, {2, 1});
  const auto sparse = ops::sparse_categorical_crossentropy(labels, p).to_vector<float>();
  CHECK(sparse[0] == doctest::Approx(-std::log(0.7)));
  CHECK(sparse[1] == doctest::Approx(-std::log(0.8)));
  const Tensor onehot = ops::one_hot(Tensor::from_vector<std::int32_t>({0, 2}, {2}), 3);
  CHECK(ops::categorical_crossentropy(onehot, p).to_vector<float>() == sparse);
  // Label smoothing 0.3 over 3 classes: targets 0.8 / 0.1 / 0.1.
  const auto smooth = ops::categorical_crossentropy(onehot, p, false, 0.3f).to_vector<float>();
  CHECK(smooth[0] == doctest::Approx(-(0.8 * std::log(0.7) + 0.1 * std::log(0.2) + 0.1 * std::log(0.1))));
  const Tensor logits = Tensor::from_vector<float>({2.0f, 1.0f, 0.1f}, {1, 3});
  const double lse = std::log(std::exp(2.0) + std::exp(1.0) + std::exp(0.1));
  CHECK(ops::sparse_categorical_crossentropy(Tensor::from_vector<std::int32_t>({1}, {1}), logits, true)
            .item<float>() == doctest::Approx(lse - 1.0));
  const Tensor t = Tensor::from_vector<float>({1, 0}, {1, 2}), q = Tensor::from_vector<float>({0.9f, 0.3f}, {1, 2});
  CHECK(ops::binary_crossentropy(t, q).item<float>() ==
        doctest::Approx(-(std::log(0.9 + 1e-7) + std::log(0.7 + 1e-7)) / 2).epsilon(1e-5));
  const Tensor z = Tensor::from_vector<float>({3.0f, -1.0f}, {1, 2});
  const double sig3 = 1 / (1 + std::exp(-3.0)), sigm1 = 1 / (1 + std::exp(1.0));
  CHECK(ops::binary_crossentropy(t, z, true).item<float>() ==
        doctest::Approx(-(std::log(sig3) + std::log(1 - sigm1)) / 2));
  CHECK(ops::mean_squared_error(t, q).item<float>() == doctest::Approx((0.01 + 0.09) / 2));
}

TEST_CASE("loss gradients") {
  const Tensor logits = uniform({4, 5}, 1, -2.0f, 2.0f);
  const Tensor probs = ops::softmax(uniform({4, 5}, 2));
  const Tensor labels = Tensor::from_vector<std::int32_t>({0, 4, 2, 1}, {4});
  const Tensor targets = ops::one_hot(labels, 5);
  check_gradients([labels](const auto& in) {
    return ops::sparse_categorical_crossentropy(labels, in[0], true);
  }, {logits});
  check_gradients([labels](const auto& in) {
    return ops::sparse_categorical_crossentropy(labels, in[0], false, 0.1f);
  }, {probs}, {.epsilon = 1e-3});
  check_gradients([targets](const auto& in) {
    return ops::categorical_crossentropy(targets, in[0], true, 0.2f);
  }, {logits});
  const Tensor bin = Tensor::from_vector<float>({1, 0, 1, 0, 0, 1}, {2, 3});
  check_gradients([bin](const auto& in) { return ops::binary_crossentropy(bin, in[0], true); },
                  {uniform({2, 3}, 3, -2.0f, 2.0f)});
  check_gradients([bin](const auto& in) { return ops::binary_crossentropy(bin, in[0]); },
                  {uniform({2, 3}, 4, 0.2f, 0.8f)}, {.epsilon = 1e-3});
  check_gradients([](const auto& in) { return ops::mean_squared_error(in[0], in[1]); },
                  {uniform({3, 4}, 5), uniform({3, 4}, 6)});
}

TEST_CASE("loss shape errors name both shapes") {
  const Tensor probs = ops::softmax(uniform({4, 5}, 2));
  CHECK_THROWS_AS(ops::sparse_categorical_crossentropy(Tensor::zeros({3}, int32), probs), ShapeError);
  CHECK_THROWS_AS(ops::categorical_crossentropy(Tensor::zeros({4, 4}), probs), ShapeError);
  CHECK_THROWS_AS(ops::sparse_categorical_crossentropy(Tensor::full({4}, 5.0f, int32), probs).to_vector<float>(),
                  ValueError);
}
