#include <doctest/doctest.h>

#include <cmath>

#include "keras/keras.hpp"

using namespace keras;

TEST_CASE("GradientTape accumulates over shared subexpressions") {
  Tensor x = Tensor::from_vector<float>({2.0f, 3.0f}, {2});
  x.set_requires_grad(true);
  const Tensor y = x * x + x * 3.0f;  // dy/dx = 2x + 3
  const auto g = GradientTape().gradient(ops::sum(y), {x});
  CHECK(g[0].to_vector<float>() == std::vector<float>{7.0f, 9.0f});
}

TEST_CASE("unrelated sources get zeros - NoGradGuard records nothing") {
  Tensor a = Tensor::ones({3}), b = Tensor::ones({2});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  const auto g = GradientTape().gradient(ops::sum(a * 2.0f), {a, b});
  CHECK(g[1].to_vector<float>() == std::vector<float>{0, 0});
  NoGradGuard guard;
  const Tensor c = a * 2.0f;
  CHECK_FALSE(c.requires_grad());
}

TEST_CASE("leaf flags are guarded") {
  Tensor x = Tensor::ones({2});
  x.set_requires_grad(true);
  const Tensor y = x * 2.0f;
  CHECK_THROWS_AS(Tensor(y).set_requires_grad(true), ValueError);
  CHECK_THROWS_AS(Tensor::zeros({2}, int32).set_requires_grad(true), ValueError);
  CHECK_FALSE(y.detach().requires_grad());
}

TEST_CASE("GradientTape frees what the forward pass saved, and a second gradient through it is a clear error") {
  Tensor x = Tensor::full({1 << 18}, 0.5f);  // 1 MiB a tensor
  x.set_requires_grad(true);
  Tensor h = x;
  for (int i = 0; i < 8; ++i) h = ops::tanh(h) * 1.5f;  // each step keeps its activations for backward
  const Tensor loss = ops::sum(h);
  Backend& be = x.backend();
  be.synchronize();
  const std::int64_t before = be.memory_stats().live_bytes;
  const Tensor dx = GradientTape().gradient(loss, {x}).front();
  be.synchronize();
  const std::int64_t after = be.memory_stats().live_bytes;
  // The caller still holds loss (and through it, before, all 16 saved activations); only dx is new.
  CHECK(after < before - 8 * (1 << 20));
  CHECK(std::isfinite(dx.to_vector<float>()[0]));
  CHECK_THROWS_WITH_AS(GradientTape().gradient(loss, {x}), doctest::Contains("already differentiated"), ValueError);
}

TEST_CASE("GradientTape's ready callback gives each source's final gradient once, as soon as the walk has passed every use") {
  auto leaf = [](std::vector<float> v) {
    Tensor t = Tensor::from_vector<float>(v, {static_cast<std::int64_t>(v.size())});
    t.set_requires_grad(true);
    return t;
  };
  const Tensor x = Tensor::from_vector<float>({0.5f, -1.0f}, {2});
  Tensor w1 = leaf({1.5f, 0.25f}), w2 = leaf({-0.5f, 2.0f}), w3 = leaf({0.75f, 1.25f}), unused = leaf({1.0f});
  // w1 is used first and again by the last op: its gradient is final only when the walk
  // reaches the first use, after w3's and w2's.
  const Tensor h = ops::tanh(ops::tanh(x * w1) * w2) * w3 + w1;
  std::vector<std::size_t> order;
  std::vector<std::vector<float>> announced(4);
  const auto grads = GradientTape().gradient(ops::sum(h), {w1, w2, w3, unused}, [&](std::size_t i, const Tensor& g) {
    order.push_back(i);
    announced.at(i) = g.to_vector<float>();
  });
  CHECK(order == std::vector<std::size_t>{2, 1, 0, 3});
  for (std::size_t i = 0; i < 4; ++i) CHECK(announced[i] == grads[i].to_vector<float>());
  CHECK(announced[3] == std::vector<float>{0.0f});
  // d/dw1 = 1 + x * tanh'(x w1) * w2 * tanh'(tanh(x w1) w2) * w3, not just the last op's 1.
  const float a = std::tanh(0.5f * 1.5f), b = std::tanh(a * -0.5f);
  const float expected = 1.0f + 0.5f * (1.0f - a * a) * -0.5f * (1.0f - b * b) * 0.75f;
  CHECK(announced[0][0] == doctest::Approx(expected).epsilon(1e-5));
}
