#pragma once
// Per-element rules every backend must apply identically (bit for bit): casts, binary
// arithmetic, counter-based random numbers and Keras' optimizer updates. The backends differ in
// how they loop (the reference plainly, cpu across threads, cuda one element per GPU thread); the
// arithmetic lives here once, and the functions marked KERASCPP_HOST_DEVICE compile for the GPU too.
// Each optimizer rule is Keras' float32 operation sequence in Keras' order. Non-finite values
// follow TensorFlow where it is consistent and NumPy where it is not: NaN propagates through
// relu, maximum, minimum, max reductions and max pooling (a NaN anywhere wins), and a softmax
// row with a NaN or infinity is computed plainly, so it comes out NaN as in TensorFlow.
// (The inline namespace: see isa_namespace.hpp.)
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "keras/internal/host_device.hpp"
#include "isa_namespace.hpp"
#include "keras/core/backend.hpp"
#include "keras/core/dtype.hpp"
#include "keras/internal/random_bits.hpp"

namespace keras::element_rules {
inline namespace KERASCPP_LOOPS_ISA {

namespace detail {
inline float load(const void* p, DType t, std::size_t i) {
  switch (t) {
    case DType::float32: return static_cast<const float*>(p)[i];
    case DType::bfloat16: return float(static_cast<const bfloat16_t*>(p)[i]);
    case DType::float16: return float(static_cast<const float16_t*>(p)[i]);
    case DType::int32: return static_cast<float>(static_cast<const std::int32_t*>(p)[i]);
    case DType::uint8: return static_cast<float>(static_cast<const std::uint8_t*>(p)[i]);
  }
  return 0.0f;
}
// Float to integer truncates toward zero and saturates at the type's range (NaN -> 0).
template <class I>
I saturate(double v) {
  if (std::isnan(v)) return 0;
  v = std::trunc(v);
  const double lo = static_cast<double>(std::numeric_limits<I>::lowest());
  const double hi = static_cast<double>(std::numeric_limits<I>::max());
  return static_cast<I>(std::clamp(v, lo, hi));
}
}  // namespace detail

// y[i] = x[i] converted from `from` to `to` (from != to). int32 sources go through double so
// large integers stay exact.
inline void cast_element(const void* x, DType from, void* y, DType to, std::size_t i) {
  const double v = from == DType::int32 ? static_cast<const std::int32_t*>(x)[i]
                                        : static_cast<double>(detail::load(x, from, i));
  switch (to) {
    case DType::float32: static_cast<float*>(y)[i] = static_cast<float>(v); break;
    case DType::bfloat16: static_cast<bfloat16_t*>(y)[i] = bfloat16_t(static_cast<float>(v)); break;
    case DType::float16: static_cast<float16_t*>(y)[i] = float16_t(static_cast<float>(v)); break;
    case DType::int32: static_cast<std::int32_t*>(y)[i] = detail::saturate<std::int32_t>(v); break;
    case DType::uint8: static_cast<std::uint8_t*>(y)[i] = detail::saturate<std::uint8_t>(v); break;
  }
}

// maximum/minimum with NaN winning from either side (std::max keeps `a` when `b` is NaN).
KERASCPP_HOST_DEVICE inline float maximum(float a, float b) { return (b > a || b != b) ? b : a; }
KERASCPP_HOST_DEVICE inline float minimum(float a, float b) { return (b < a || b != b) ? b : a; }
// Whether `v` replaces `best` as a running maximum: larger, or the first NaN.
KERASCPP_HOST_DEVICE inline bool beats(float v, float best) { return v > best || (v != v && best == best); }

// Keras' ReLU layer: alpha = negative_slope, beta = threshold, gamma = max_value. NaN stays
// NaN; below the threshold with no slope the result is +0 (also for -inf, as tf.nn.relu).
KERASCPP_HOST_DEVICE inline float relu(float x, UnaryParams p) {
  const float below = p.alpha == 0.0f ? 0.0f : p.alpha * (x - p.beta);
  return x > p.beta ? std::min(x, p.gamma) : (x != x ? x : below);
}
// The relu epilogue fused into producers (bias_add, convolutions): max(v, 0), NaN kept.
KERASCPP_HOST_DEVICE inline float fused_relu(float v) { return (v > 0.0f || v != v) ? v : 0.0f; }
KERASCPP_HOST_DEVICE inline float clip(float x, float low, float high) { return std::min(std::max(x, low), high); }

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
KERASCPP_HOST_DEVICE inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); }
KERASCPP_HOST_DEVICE inline float gelu_derivative(float x) {
  return 0.5f * (1.0f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}

// y = f(x) for one element, with the scalar library functions: the reference's arithmetic, and
// the cpu backend's for the inputs its vectorized functions get wrong (non-finite ones).
KERASCPP_HOST_DEVICE inline float unary_element(UnaryOp op, UnaryParams p, float x) {
  switch (op) {
    case UnaryOp::relu: return relu(x, p);
    case UnaryOp::elu: return x > 0.0f ? x : p.alpha * std::expm1(x);
    case UnaryOp::leaky_relu: return x > 0.0f ? x : p.alpha * x;
    case UnaryOp::gelu: return gelu(x);
    case UnaryOp::sigmoid:
      return x >= 0.0f ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x));
    case UnaryOp::tanh: return std::tanh(x);
    case UnaryOp::exp: return std::exp(x);
    case UnaryOp::log: return std::log(x);
    case UnaryOp::sqrt: return std::sqrt(x);
    case UnaryOp::square: return x * x;
    case UnaryOp::abs: return std::fabs(x);
    case UnaryOp::neg: return -x;
    case UnaryOp::clip: return clip(x, p.alpha, p.beta);
    case UnaryOp::reciprocal: return 1.0f / x;
  }
  return x;
}

// f'(x), given x and y = f(x).
KERASCPP_HOST_DEVICE inline float unary_derivative(UnaryOp op, UnaryParams p, float x, float y) {
  switch (op) {
    case UnaryOp::relu: return x > p.beta ? (x < p.gamma ? 1.0f : 0.0f) : p.alpha;
    case UnaryOp::elu: return x > 0.0f ? 1.0f : y + p.alpha;
    case UnaryOp::leaky_relu: return x > 0.0f ? 1.0f : p.alpha;
    case UnaryOp::gelu: return gelu_derivative(x);
    case UnaryOp::sigmoid: return y * (1.0f - y);
    case UnaryOp::tanh: return 1.0f - y * y;
    case UnaryOp::exp: return y;
    case UnaryOp::log: return 1.0f / x;
    case UnaryOp::sqrt: return 0.5f / y;
    case UnaryOp::square: return 2.0f * x;
    case UnaryOp::abs: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case UnaryOp::neg: return -1.0f;
    case UnaryOp::clip: return x >= p.alpha && x <= p.beta ? 1.0f : 0.0f;
    case UnaryOp::reciprocal: return -y * y;
  }
  return 0.0f;
}

// Softmax (or log-softmax) of one row, in double: the plain formula, so a NaN or +inf anywhere
// makes the whole row NaN, as TensorFlow's does.
inline void softmax_row(const float* x, float* y, std::int64_t cols, bool log) {
  float top = x[0];
  for (std::int64_t j = 1; j < cols; ++j) top = maximum(top, x[j]);
  double total = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) total += std::exp(static_cast<double>(x[j] - top));
  const double log_total = std::log(total);
  for (std::int64_t j = 0; j < cols; ++j) {
    const double shifted = static_cast<double>(x[j] - top);
    y[j] = static_cast<float>(log ? shifted - log_total : std::exp(shifted) / total);
  }
}
inline void softmax_backward_row(const float* y, const float* dy, float* dx, std::int64_t cols, bool log) {
  double s = 0.0;
  for (std::int64_t j = 0; j < cols; ++j) s += log ? dy[j] : dy[j] * y[j];
  for (std::int64_t j = 0; j < cols; ++j) {
    dx[j] = log ? static_cast<float>(dy[j] - std::exp(y[j]) * s) : static_cast<float>(y[j] * (dy[j] - s));
  }
}

// The bfloat16 bits of x rounded to nearest even. NaN stays a quiet NaN, infinities stay
// infinite.
KERASCPP_HOST_DEVICE inline std::uint32_t bfloat16_bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  const bool nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
  const std::uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  return nan ? ((u >> 16) | 0x40u) : rounded;
}

// float16_t's conversions (src/core/dtype.cpp) written with selects, so that the cpu backend's
// casts inline and vectorize them; they give the same bits.
KERASCPP_HOST_DEVICE inline std::uint16_t float16_bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  const std::uint32_t sign = (u >> 16) & 0x8000u, abs = u & 0x7FFFFFFFu;
  const std::uint32_t special = sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u);  // inf, NaN
  const std::uint32_t overflow = sign | 0x7C00u;
  // Below the smallest normal half: in units of 2^-24, rounded to nearest even.
  const std::uint32_t small_abs = abs < 0x38800000u ? abs : 0u;
  float magnitude;
  std::memcpy(&magnitude, &small_abs, sizeof magnitude);
  magnitude *= 16777216.0f;
  const auto whole = static_cast<std::uint32_t>(magnitude);
  const float frac = magnitude - static_cast<float>(whole);
  const std::uint32_t subnormal = sign | (whole + ((frac > 0.5f || (frac == 0.5f && (whole & 1u))) ? 1u : 0u));
  const std::uint32_t rebased = abs - 0x38000000u;
  const std::uint32_t normal = sign | ((rebased + 0xFFFu + ((rebased >> 13) & 1u)) >> 13);
  const std::uint32_t r = abs >= 0x7F800000u ? special : abs >= 0x477FF000u ? overflow : abs < 0x38800000u ? subnormal : normal;
  return static_cast<std::uint16_t>(r);
}
KERASCPP_HOST_DEVICE inline float float_of_float16_bits(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  const float small = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
  const std::uint32_t bits = exponent == 0x1F ? (sign | 0x7F800000u | (mantissa << 13))
                                              : (sign | ((exponent + 112) << 23) | (mantissa << 13));
  float r;
  std::memcpy(&r, &bits, sizeof r);
  return exponent == 0 ? (sign ? -small : small) : r;
}

KERASCPP_HOST_DEVICE inline float combine(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::subtract: return a - b;
    case BinaryOp::multiply: return a * b;
    case BinaryOp::divide: return a / b;
    case BinaryOp::maximum: return maximum(a, b);
    case BinaryOp::minimum: return minimum(a, b);
    case BinaryOp::greater: return a > b ? 1.0f : 0.0f;
    case BinaryOp::equal: return a == b ? 1.0f : 0.0f;
  }
  return 0.0f;
}

// Counter-based draws: element i depends on (seed, i) only.
KERASCPP_HOST_DEVICE inline float uniform_element(std::uint64_t seed, std::size_t i, float low, float high) {
  return low + (high - low) * internal::random_unit(seed, i);
}
KERASCPP_HOST_DEVICE inline float normal_element(std::uint64_t seed, std::size_t i, float mean, float stddev) {
  return mean + stddev * internal::random_standard_normal(seed, i);
}
// 1/(1-rate) (passed as keep_scale) with probability 1-rate, else 0.
KERASCPP_HOST_DEVICE inline float dropout_element(std::uint64_t seed, std::size_t i, float rate, float keep_scale) {
  return internal::random_unit(seed, i) >= rate ? keep_scale : 0.0f;
}

// Adam; v_max non-null for amsgrad (the denominator uses the running maximum of v).
KERASCPP_HOST_DEVICE inline void adam_element(float& var, float& m, float& v, float* v_max, float g, float alpha,
                         float one_minus_beta_1, float one_minus_beta_2, float epsilon) {
  m = m + (g - m) * one_minus_beta_1;
  v = v + (g * g - v) * one_minus_beta_2;
  float denominator_source = v;
  if (v_max) denominator_source = *v_max = std::max(*v_max, v);
  var = var - m * alpha / (std::sqrt(denominator_source) + epsilon);
}

// SGD; m null when momentum is 0.
KERASCPP_HOST_DEVICE inline void sgd_element(float& var, float* m, float g, float lr, float momentum, bool nesterov) {
  if (!m) {
    var = var - g * lr;
    return;
  }
  *m = *m * momentum - g * lr;
  var = nesterov ? var + *m * momentum - g * lr : var + *m;
}

// RMSprop; momentum_slot null when momentum is 0, average null unless centered.
KERASCPP_HOST_DEVICE inline void rmsprop_element(float& var, float& velocity, float* momentum_slot, float* average,
                            float g, float lr, float rho, float momentum, float epsilon) {
  const float one_minus_rho = 1.0f - rho;
  velocity = velocity * rho + g * g * one_minus_rho;
  float denominator = velocity + epsilon;
  if (average) {
    *average = *average * rho + g * one_minus_rho;
    denominator = velocity - *average * *average + epsilon;
  }
  const float increment = g * lr / std::sqrt(denominator);
  if (momentum_slot) {
    *momentum_slot = *momentum_slot * momentum + increment;
    var = var - *momentum_slot;
  } else {
    var = var - increment;
  }
}

KERASCPP_HOST_DEVICE inline void adagrad_element(float& var, float& accumulator, float g, float lr, float epsilon) {
  accumulator = accumulator + g * g;
  var = var - g * lr / std::sqrt(accumulator + epsilon);
}

KERASCPP_HOST_DEVICE inline void nadam_element(float& var, float& m, float& v, float g, float one_minus_beta_1,
                          float one_minus_beta_2, float m_scale, float g_scale, float v_divisor,
                          float lr, float epsilon) {
  m = m + (g - m) * one_minus_beta_1;
  v = v + (g * g - v) * one_minus_beta_2;
  const float m_hat = m * m_scale + g * g_scale;
  var = var - m_hat * lr / (std::sqrt(v / v_divisor) + epsilon);
}

}  // inline namespace KERASCPP_LOOPS_ISA
}  // namespace keras::element_rules
