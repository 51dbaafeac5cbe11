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
