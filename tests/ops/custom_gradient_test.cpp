// ops::custom_gradient and ops::transpose: gradients checked against finite differences, and the
// custom backward really replaces the recorded one.
#include <doctest/doctest.h>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/gradient_check.hpp"

using namespace keras;

TEST_CASE("custom_gradient: a correct hand-written gradient passes the numeric check") {
  // softplus(x) = log(1 + exp(x)) with its derivative sigmoid(x) written by hand.
  auto softplus = [](const std::vector<Tensor>& in) {
    const Tensor x = in[0];
    return ops::custom_gradient(
        {x}, [](const std::vector<Tensor>& v) { return ops::log(ops::affine(ops::exp(v[0]), 1.0f, 1.0f)); },
        [x](const Tensor& dy) { return std::vector<Tensor>{ops::multiply(dy, ops::sigmoid(x))}; }, "softplus");
  };
  test_support::check_gradients(softplus, {test_support::uniform({3, 4}, 1, -2.0f, 2.0f)});
  // Two inputs: x * y with its two partial derivatives.
  auto product = [](const std::vector<Tensor>& in) {
    return ops::custom_gradient(
        in, [](const std::vector<Tensor>& v) { return ops::multiply(v[0], v[1]); },
        [in](const Tensor& dy) { return std::vector<Tensor>{ops::multiply(dy, in[1]), ops::multiply(dy, in[0])}; });
  };
  test_support::check_gradients(product, {test_support::uniform({5}, 2), test_support::uniform({5}, 3)});
}

TEST_CASE("custom_gradient: the backward given is the one used, and bad backwards are errors") {
  // A straight-through rounding: forward rounds (via clip here), backward passes dy unchanged.
  Tensor x = Tensor::from_vector(std::vector<float>{-3.0f, 0.25f, 5.0f}, {3});
  x.set_requires_grad(true);
  const Tensor y = ops::custom_gradient(
      {x}, [](const std::vector<Tensor>& in) { return ops::clip(in[0], -1.0f, 1.0f); },
      [](const Tensor& dy) { return std::vector<Tensor>{dy}; }, "straight_through_clip");
  CHECK(y.to_vector<float>() == std::vector<float>{-1.0f, 0.25f, 1.0f});
  const auto g = GradientTape().gradient(ops::sum(ops::multiply(y, Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}))), {x});
  CHECK(g[0].to_vector<float>() == std::vector<float>{1.0f, 2.0f, 3.0f});  // clip's own gradient would zero the ends
  // The forward may return an input itself; the gradient is still the custom one, on a new tensor.
  const Tensor same = ops::custom_gradient(
      {x}, [](const std::vector<Tensor>& in) { return in[0]; },
      [](const Tensor& dy) { return std::vector<Tensor>{ops::affine(dy, 3.0f, 0.0f)}; });
  CHECK(GradientTape().gradient(ops::sum(same), {x})[0].to_vector<float>() == std::vector<float>{3.0f, 3.0f, 3.0f});
  const Tensor wrong = ops::custom_gradient(
      {x}, [](const std::vector<Tensor>& in) { return ops::square(in[0]); },
      [](const Tensor& dy) { return std::vector<Tensor>{dy, dy}; }, "two_for_one");
  CHECK(test_support::error_of([&] { GradientTape().gradient(ops::sum(wrong), {x}); }).find("two_for_one") !=
        std::string::npos);
}

TEST_CASE("transpose: values, shapes, gradient and bad axes") {
  const Tensor x = test_support::uniform({2, 3, 4}, 7);
  const Tensor y = ops::transpose(x, {2, 0, 1});
  CHECK(y.shape() == Shape{4, 2, 3});
  const auto a = x.to_vector<float>(), b = y.to_vector<float>();
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) CHECK(b[(k * 2 + i) * 3 + j] == a[(i * 3 + j) * 4 + k]);
    }
  }
  test_support::check_gradients([](const std::vector<Tensor>& in) { return ops::transpose(in[0], {1, 2, 0}); }, {x});
  CHECK(test_support::error_of([&] { ops::transpose(x, {0, 0, 1}); }).find("not a permutation") != std::string::npos);
  const Tensor labels = Tensor::from_vector(std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(ops::transpose(labels, {1, 0}).to_vector<std::int32_t>() == std::vector<std::int32_t>{1, 4, 2, 5, 3, 6});
}
