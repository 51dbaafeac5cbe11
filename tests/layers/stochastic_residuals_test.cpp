// StochasticDepth and ShakeShake: their training-time draws, the test-time expected values, and
// Shake-Shake's independent backward coefficients checked against finite differences.
#include <doctest/doctest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/gradient_check.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("StochasticDepth keeps or drops the whole residual in training, and its test output is the expected value") {
  StochasticDepth depth(0.3f, {.seed = 11});
  const Tensor shortcut = test_support::uniform({4, 3, 3, 2}, 1), residual = test_support::uniform({4, 3, 3, 2}, 2);
  const Tensor test_time = depth({shortcut, residual}, false);
  CHECK(test_support::max_abs_diff(test_time, ops::add(shortcut, ops::multiply(residual, Tensor::scalar(0.7f)))) < 1e-7);
  const Tensor kept = ops::add(shortcut, residual);
  int keeps = 0;
  const int draws = 1000;
  Tensor total = Tensor::zeros(shortcut.shape());
  for (int i = 0; i < draws; ++i) {
    const Tensor y = depth({shortcut, residual}, true);
    const bool keep = test_support::max_abs_diff(y, kept) == 0.0;
    CHECK((keep || test_support::max_abs_diff(y, shortcut) == 0.0));
    keeps += keep ? 1 : 0;
    total = ops::add(total, y);
  }
  // Bernoulli(0.7) over 1000 draws: within 4.5 standard deviations (0.0145 each).
  CHECK(std::fabs(keeps / static_cast<double>(draws) - 0.7) < 0.065);
  // The average training output tends to the test output: E[y] = shortcut + 0.7 residual.
  const Tensor average = ops::multiply(total, Tensor::scalar(1.0f / draws));
  const double expected_error = test_support::max_abs_diff(average, ops::add(shortcut, ops::multiply(residual, Tensor::scalar(keeps / static_cast<float>(draws)))));
  CHECK(expected_error < 1e-5);
  CHECK(test_support::error_of([] { StochasticDepth(1.0f); }).find("[0, 1)") != std::string::npos);
}

TEST_CASE("ShakeShake mixes the branches with one coefficient forward and an independent one backward") {
  ShakeShake shake({.seed = 3});
  const Tensor x1 = test_support::uniform({6, 2, 2, 3}, 4), x2 = test_support::uniform({6, 2, 2, 3}, 5);
  CHECK(test_support::max_abs_diff(shake({x1, x2}, false), ops::multiply(ops::add(x1, x2), Tensor::scalar(0.5f))) < 1e-7);

  // Forward: per image, y = a x1 + (1 - a) x2 with one a in [0, 1] for all its elements.
  Tensor a1 = x1, a2 = x2;
  a1.set_requires_grad(true);
  a2.set_requires_grad(true);
  const Tensor y = shake({a1, a2}, true);
  const auto grads = GradientTape().gradient(ops::sum(y), {a1, a2});
  const auto yv = y.to_vector<float>(), v1 = x1.to_vector<float>(), v2 = x2.to_vector<float>();
  const auto g1 = grads[0].to_vector<float>(), g2 = grads[1].to_vector<float>();
  const std::size_t per_image = 2 * 2 * 3;
  int coefficients_differ = 0;
  for (std::size_t n = 0; n < 6; ++n) {
    const std::size_t base = n * per_image;
    const double a = (yv[base] - v2[base]) / (v1[base] - v2[base]);
    const double b = g1[base];
    CHECK(a >= 0.0);
    CHECK(a <= 1.0);
    CHECK(b >= 0.0);
    CHECK(b <= 1.0);
    for (std::size_t i = base; i < base + per_image; ++i) {
      CHECK(yv[i] == doctest::Approx(a * v1[i] + (1 - a) * v2[i]).epsilon(1e-4));
      CHECK(g1[i] == doctest::Approx(b));          // dL/dx1 = b dy, dy = 1
      CHECK(g2[i] == doctest::Approx(1.0 - b));    // dL/dx2 = (1 - b) dy
    }
    coefficients_differ += std::fabs(a - b) > 1e-3 ? 1 : 0;
  }
  CHECK(coefficients_differ >= 5);  // independent draws

  // Finite differences along a direction that moves both branches equally: there the forward
  // mix (a + (1 - a) = 1) and the backward mix (b + (1 - b) = 1) agree, so the numeric and the
  // analytic derivatives must too; the random stream is rewound so each evaluation draws alike.
  random::SeedGenerator& stream = *shake->seed_generators().front();
  const auto start = stream.state();
  const Tensor w = test_support::uniform(x1.shape(), 6);
  const Tensor dir = test_support::uniform(x1.shape(), 7);
  auto loss = [&](float t) {
    stream.set_state(start);
    const Tensor d = ops::multiply(dir, Tensor::scalar(t));
    return ops::sum(ops::multiply(w, shake({ops::add(x1, d), ops::add(x2, d)}, true))).item<float>();
  };
  const double numeric = (static_cast<double>(loss(1e-2f)) - loss(-1e-2f)) / 2e-2;
  stream.set_state(start);
  Tensor b1 = x1, b2 = x2;
  b1.set_requires_grad(true);
  b2.set_requires_grad(true);
  const auto g = GradientTape().gradient(ops::sum(ops::multiply(w, shake({b1, b2}, true))), {b1, b2});
  const double analytic = ops::sum(ops::multiply(ops::add(g[0], g[1]), dir)).item<float>();
  CHECK(analytic == doctest::Approx(numeric).epsilon(1e-3));
}
