#pragma once
// Numeric gradient checks: compares the tape's gradients with central differences. The
// check reduces outputs with fixed random weights and accumulates in float64, so the only
// float32 error left is the op's own.
#include <cstdint>
#include <functional>
#include <vector>

#include "keras/keras.hpp"

namespace test_support {

struct GradCheckOptions {
  double epsilon = 1e-2;   // step of the central difference
  double rtol = 2e-2;      // relative tolerance
  double atol = 2e-3;      // absolute tolerance
  int max_elements = 48;   // elements checked per input (spread evenly)
};

using Fn = std::function<keras::Tensor(const std::vector<keras::Tensor>&)>;

// Checks d(sum(f(inputs) * R))/d(input) for every input, R fixed random weights.
// Reports failures through doctest with the input, element and both values.
void check_gradients(const Fn& f, std::vector<keras::Tensor> inputs, GradCheckOptions options = {});

// The same check for leaf tensors that already require a gradient (a model's variables): they
// are perturbed in place and restored, and f reads them itself.
void check_gradients_in_place(const std::function<keras::Tensor()>& f,
                              const std::vector<keras::Tensor>& leaves, GradCheckOptions options = {});

// Analytic and numeric gradients of the sampled elements of every leaf, concatenated; for
// aggregate checks (cosine similarity) where a few finite differences may cross relu kinks.
struct GradientSamples {
  std::vector<double> analytic, numeric;
  double cosine() const;
};
GradientSamples sample_gradients(const std::function<keras::Tensor()>& f,
                                 const std::vector<keras::Tensor>& leaves, GradCheckOptions options = {});

// Float32 values spaced at least `gap` apart in random order in [-1, 1): kinks of relu, max,
// abs and pooling ties stay farther than any finite-difference step.
keras::Tensor distinct_values(const keras::Shape& shape, std::uint64_t seed, double gap = 0.05);

// Uniform values in [low, high).
keras::Tensor uniform(const keras::Shape& shape, std::uint64_t seed, float low = -1.0f,
                      float high = 1.0f);

// Largest |a - b| over all elements (shapes must match).
double max_abs_diff(const keras::Tensor& a, const keras::Tensor& b);

}  // namespace test_support
