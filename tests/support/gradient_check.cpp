#include "support/gradient_check.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace test_support {

using keras::Tensor;

namespace {
double weighted_sum(const Tensor& out, const std::vector<double>& weights) {
  const auto v = out.to_vector<float>();
  double total = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) total += static_cast<double>(v[i]) * weights[i];
  return total;
}
}  // namespace

void check_gradients(const Fn& f, std::vector<Tensor> inputs, GradCheckOptions o) {
  for (auto& x : inputs) x = x.clone().set_requires_grad(true);
  check_gradients_in_place([&] { return f(inputs); }, inputs, o);
}

GradientSamples sample_gradients(const std::function<Tensor()>& f,
                                 const std::vector<Tensor>& leaves, GradCheckOptions o) {
  std::vector<Tensor> inputs = leaves;
  const Tensor out = f();
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> weights(static_cast<std::size_t>(out.size()));
  for (auto& w : weights) w = dist(rng);
  std::vector<float> weights_f(weights.begin(), weights.end());
  const Tensor r = Tensor::from_vector(weights_f, out.shape());
  const Tensor loss = keras::ops::sum(keras::ops::multiply(out, r));
  const auto grads = keras::GradientTape().gradient(loss, inputs);

  GradientSamples samples;
  keras::NoGradGuard no_grad;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    REQUIRE(grads[k].shape() == x.shape());
    const auto analytic = grads[k].to_vector<float>();
    const std::int64_t n = x.size();
    const std::int64_t stride = std::max<std::int64_t>(1, n / o.max_elements);
    // Through the backend (set), not a host pointer: the check runs on device backends too.
    const auto values = x.to_vector<float>();
    Tensor flat = x.reshape({n});
    for (std::int64_t i = 0; i < n; i += stride) {
      const float original = values[static_cast<std::size_t>(i)];
      flat.set<float>({i}, static_cast<float>(original + o.epsilon));
      const double plus = weighted_sum(f(), weights);
      flat.set<float>({i}, static_cast<float>(original - o.epsilon));
      const double minus = weighted_sum(f(), weights);
      flat.set<float>({i}, original);
      samples.analytic.push_back(analytic[static_cast<std::size_t>(i)]);
      samples.numeric.push_back((plus - minus) / (2.0 * o.epsilon));
    }
  }
  return samples;
}

double GradientSamples::cosine() const {
  double dot = 0, na = 0, nn = 0;
  for (std::size_t i = 0; i < analytic.size(); ++i) {
    dot += analytic[i] * numeric[i];
    na += analytic[i] * analytic[i];
    nn += numeric[i] * numeric[i];
  }
  return dot / std::sqrt(na * nn);
}

void check_gradients_in_place(const std::function<Tensor()>& f, const std::vector<Tensor>& leaves,
                              GradCheckOptions o) {
  const GradientSamples s = sample_gradients(f, leaves, o);
  for (std::size_t i = 0; i < s.analytic.size(); ++i) {
    const double a = s.analytic[i], numeric = s.numeric[i];
    const double tolerance = o.atol + o.rtol * std::max(std::fabs(a), std::fabs(numeric));
    INFO("sample " << i << ": analytic " << a << " vs numeric " << numeric);
    CHECK(std::fabs(a - numeric) <= tolerance);
  }
}

Tensor distinct_values(const keras::Shape& shape, std::uint64_t seed, double gap) {
  const auto n = static_cast<std::size_t>(shape.num_elements());
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Evenly spaced in [-1, 1), skipping a band around 0 so relu-like kinks are avoided.
    const double t = -1.0 + 2.0 * (static_cast<double>(i) + 0.5) / static_cast<double>(n);
    v[i] = static_cast<float>(t + (t >= 0 ? gap : -gap));
  }
  std::mt19937_64 rng(seed);
  std::shuffle(v.begin(), v.end(), rng);
  return Tensor::from_vector(v, shape);
}

Tensor uniform(const keras::Shape& shape, std::uint64_t seed, float low, float high) {
  return keras::random::uniform(shape, {.minval = low, .maxval = high, .seed = seed});
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  double m = 0.0;
  for (std::size_t i = 0; i < va.size(); ++i) m = std::max(m, std::fabs(double(va[i]) - vb[i]));
  return m;
}

}  // namespace test_support
