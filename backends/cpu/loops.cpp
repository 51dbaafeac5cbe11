// The CPU backend's own loops: casts, random numbers, element-wise maps (Eigen's vectorized
// transcendental functions), broadcasts, reductions, row copies, labels, max pooling, the
// optimizer updates and the helpers of the oneDNN kernels. Every loop is split across the
// process's threads with parallel_for.
//
// This file is compiled once per ISA level (see loops.hpp and CMakeLists.txt), with
// KERASCPP_LOOPS_ISA naming the level. Everything here has internal linkage or lives in that
// namespace; the shared inline rules do too (isa_namespace.hpp), so no symbol of one level can
// stand in for another's. tools/check_isa_isolation.py proves it on every build.
#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "../common/broadcast_rows.hpp"
#include "../common/element_rules.hpp"
#include "loops.hpp"
#include "parallel.hpp"

#define KERASCPP_STRINGIFY_(x) #x
#define KERASCPP_STRINGIFY(x) KERASCPP_STRINGIFY_(x)

namespace keras::cpu::KERASCPP_LOOPS_ISA {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;
namespace rules = element_rules;

void fill(float* y, std::size_t n, float value) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk,
               [&](std::int64_t b, std::int64_t e) { std::fill(y + b, y + e, value); });
}

void cast(const void* x, DType from, void* y, DType to, std::size_t n) {
  const auto count = static_cast<std::int64_t>(n);
  if (from == DType::float32 && to == DType::bfloat16) {  // the mixed-precision hot path
    const auto* xf = static_cast<const float*>(x);
    auto* yb = static_cast<std::uint16_t*>(y);
    parallel_for(count, kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) yb[i] = static_cast<std::uint16_t>(rules::bfloat16_bits_of(xf[i]));
    });
    return;
  }
  if (from == DType::bfloat16 && to == DType::float32) {
    const auto* xb = static_cast<const std::uint16_t*>(x);
    auto* yu = static_cast<std::uint32_t*>(y);
    parallel_for(count, kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) yu[i] = static_cast<std::uint32_t>(xb[i]) << 16;
    });
    return;
  }
  if (from == DType::float32 && to == DType::float16) {
    const auto* xf = static_cast<const float*>(x);
    auto* yh = static_cast<std::uint16_t*>(y);
    parallel_for(count, kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) yh[i] = rules::float16_bits_of(xf[i]);
    });
    return;
  }
  if (from == DType::float16 && to == DType::float32) {
    const auto* xh = static_cast<const std::uint16_t*>(x);
    auto* yf = static_cast<float*>(y);
    parallel_for(count, kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) yf[i] = rules::float_of_float16_bits(xh[i]);
    });
    return;
  }
  parallel_for(count, kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) rules::cast_element(x, from, y, to, static_cast<std::size_t>(i));
  });
}

// Counter-based generators: element i depends on (seed, i) only, so chunks may run anywhere
// and every backend draws the same numbers.
void random_uniform(float* y, std::size_t n, std::uint64_t seed, float low, float high) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = rules::uniform_element(seed, i, low, high);
  });
}
void random_normal(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = rules::normal_element(seed, i, mean, stddev);
  });
}
void dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) {
  const float keep_scale = 1.0f / (1.0f - rate);
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) mask[i] = rules::dropout_element(seed, i, rate, keep_scale);
  });
}

// Eigen's fast exp, tanh and logistic clamp their argument with min/max, which drops NaN and
// turns exp(+inf) into NaN, and its fast sqrt is x * rsqrt(x), NaN for +inf: the non-finite
// inputs are redone afterwards with the reference's scalar rule (a cheap pass over data
// already in cache).
void redo_nonfinite(UnaryOp op, UnaryParams p, const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) y[i] = rules::unary_element(op, p, x[i]);
  }
}

// y = f(x) over one chunk; Eigen vectorizes exp, log, tanh, logistic and sqrt. flatten: Eigen
// inlined whole, so none of its templates is emitted out of line under its shared name.
[[gnu::flatten]] void unary_chunk(UnaryOp op, UnaryParams p, const float* xp, float* yp, std::int64_t n) {
  ConstArrayMap x(xp, n);
  ArrayMap y(yp, n);
  switch (op) {
    case UnaryOp::relu:
      for (std::int64_t i = 0; i < n; ++i) yp[i] = rules::relu(xp[i], p);
      return;
    case UnaryOp::elu:
      y = (x > 0.0f).select(x, p.alpha * (x.min(0.0f).exp() - 1.0f));
      redo_nonfinite(op, p, xp, yp, n);
      return;
    case UnaryOp::leaky_relu: y = (x > 0.0f).select(x, p.alpha * x); return;
    case UnaryOp::gelu:
      for (std::int64_t i = 0; i < n; ++i) yp[i] = rules::gelu(xp[i]);
      return;
    case UnaryOp::sigmoid:
      y = x.logistic();
      redo_nonfinite(op, p, xp, yp, n);
      return;
    case UnaryOp::tanh:
      y = x.tanh();
      redo_nonfinite(op, p, xp, yp, n);
      return;
    case UnaryOp::exp:
      y = x.exp();
      redo_nonfinite(op, p, xp, yp, n);
      return;
    case UnaryOp::log: y = x.log(); return;
    case UnaryOp::sqrt:
      y = x.sqrt();
      redo_nonfinite(op, p, xp, yp, n);
      return;
    case UnaryOp::square: y = x.square(); return;
    case UnaryOp::abs: y = x.abs(); return;
    case UnaryOp::neg: y = -x; return;
    case UnaryOp::clip:
      for (std::int64_t i = 0; i < n; ++i) yp[i] = rules::clip(xp[i], p.alpha, p.beta);
      return;
    case UnaryOp::reciprocal: y = x.inverse(); return;
  }
}

// dx = dy * f'(x), with y = f(x).
[[gnu::flatten]] void unary_backward_chunk(UnaryOp op, UnaryParams p, const float* xp, const float* yp,
                          const float* dyp, float* dxp, std::int64_t n) {
  ConstArrayMap x(xp, n), y(yp, n), dy(dyp, n);
  ArrayMap dx(dxp, n);
  switch (op) {
    case UnaryOp::relu:
      for (std::int64_t i = 0; i < n; ++i) {
        const float d = xp[i] > p.beta ? (xp[i] < p.gamma ? 1.0f : 0.0f) : p.alpha;
        dxp[i] = dyp[i] * d;
      }
      return;
    case UnaryOp::elu: dx = dy * (x > 0.0f).select(Eigen::ArrayXf::Ones(n), y + p.alpha); return;
    case UnaryOp::leaky_relu: dx = dy * (x > 0.0f).select(Eigen::ArrayXf::Ones(n), p.alpha); return;
    case UnaryOp::gelu:
      for (std::int64_t i = 0; i < n; ++i) dxp[i] = dyp[i] * rules::gelu_derivative(xp[i]);
      return;
    case UnaryOp::sigmoid: dx = dy * (y * (1.0f - y)); return;
    case UnaryOp::tanh: dx = dy * (1.0f - y * y); return;
    case UnaryOp::exp: dx = dy * y; return;
    case UnaryOp::log: dx = dy * x.inverse(); return;
    case UnaryOp::sqrt: dx = dy * (0.5f / y); return;
    case UnaryOp::square: dx = dy * (2.0f * x); return;
    case UnaryOp::abs:
      dx = dy * (x > 0.0f).select(Eigen::ArrayXf::Ones(n), (x < 0.0f).select(-1.0f, Eigen::ArrayXf::Zero(n)));
      return;
    case UnaryOp::neg: dx = -dy; return;
    case UnaryOp::clip:
      dx = dy * (x >= p.alpha && x <= p.beta).select(Eigen::ArrayXf::Ones(n), Eigen::ArrayXf::Zero(n));
      return;
    case UnaryOp::reciprocal: dx = dy * (-y * y); return;
  }
}

void unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk,
               [&](std::int64_t b, std::int64_t e) { unary_chunk(op, p, x + b, y + b, e - b); });
}

void unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy,
                    float* dx, std::size_t n) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    unary_backward_chunk(op, p, x + b, y + b, dy + b, dx + b, e - b);
  });
}

// y[j] = a[j*sa] (op) b[j*sb] for one output row; strides are 0 or 1, and the four cases are
// separate loops so each vectorizes.
template <class Op>
void row_loop(Op op, const float* a, std::int64_t sa, const float* b, std::int64_t sb, float* y,
              std::int64_t n) {
  if (sa == 1 && sb == 1) {
    for (std::int64_t j = 0; j < n; ++j) y[j] = op(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (std::int64_t j = 0; j < n; ++j) y[j] = op(a[j], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (std::int64_t j = 0; j < n; ++j) y[j] = op(av, b[j]);
  } else {
    for (std::int64_t j = 0; j < n; ++j) y[j] = op(a[j * sa], b[j * sb]);
  }
}

// Calls row(a_offset, b_offset, out_offset, length) for every innermost row of a broadcast,
// rows split across threads, each starting its cursor at its first row.
template <class Row>
void for_each_broadcast_row(const BroadcastSpec& s, Row row) {
  const int rank = static_cast<int>(s.out_dims.size());
  std::int64_t total = 1;
  for (auto d : s.out_dims) total *= d;
  if (total == 0) return;
  if (rank == 0) {
    row(0, 0, 0, 1);
    return;
  }
  const std::int64_t inner = s.out_dims[rank - 1];
  const std::int64_t rows = total / inner;
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / inner), [&](std::int64_t r0, std::int64_t r1) {
    BroadcastRowCursor cursor(s, r0);
    for (std::int64_t r = r0; r < r1; ++r, cursor.next()) row(cursor.a(), cursor.b(), r * inner, inner);
  });
}

template <class Op>
void broadcast_apply(Op op, const float* a, const float* b, float* y, const BroadcastSpec& s) {
  const std::int64_t sa = s.out_dims.empty() ? 0 : s.a_strides.back();
  const std::int64_t sb = s.out_dims.empty() ? 0 : s.b_strides.back();
  for_each_broadcast_row(s, [&](std::int64_t ia, std::int64_t ib, std::int64_t o, std::int64_t n) {
    row_loop(op, a + ia, sa, b + ib, sb, y + o, n);
  });
}

void binary(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec) {
  switch (op) {
    case BinaryOp::add: broadcast_apply([](float u, float v) { return u + v; }, a, b, y, spec); return;
    case BinaryOp::subtract: broadcast_apply([](float u, float v) { return u - v; }, a, b, y, spec); return;
    case BinaryOp::multiply: broadcast_apply([](float u, float v) { return u * v; }, a, b, y, spec); return;
    case BinaryOp::divide: broadcast_apply([](float u, float v) { return u / v; }, a, b, y, spec); return;
    case BinaryOp::maximum: broadcast_apply([](float u, float v) { return rules::maximum(u, v); }, a, b, y, spec); return;
    case BinaryOp::minimum: broadcast_apply([](float u, float v) { return rules::minimum(u, v); }, a, b, y, spec); return;
    case BinaryOp::greater: broadcast_apply([](float u, float v) { return u > v ? 1.0f : 0.0f; }, a, b, y, spec); return;
    case BinaryOp::equal: broadcast_apply([](float u, float v) { return u == v ? 1.0f : 0.0f; }, a, b, y, spec); return;
  }
}

void select_mask(BinaryOp op, const float* a, const float* b, float* mask_a, const BroadcastSpec& spec) {
  if (op == BinaryOp::maximum) {
    broadcast_apply([](float u, float v) { return u >= v ? 1.0f : 0.0f; }, a, b, mask_a, spec);
  } else {
    broadcast_apply([](float u, float v) { return u <= v ? 1.0f : 0.0f; }, a, b, mask_a, spec);
  }
}

void affine(const float* x, float* y, std::size_t n, float scale, float shift) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = scale * x[i] + shift;
  });
}

void bias_add(const float* x, const float* bias, float* y, std::int64_t rows, std::int64_t cols,
              FusedActivation act) {
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / cols), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      if (act == FusedActivation::relu) {
        for (std::int64_t j = 0; j < cols; ++j) yr[j] = rules::fused_relu(xr[j] + bias[j]);
      } else {
        for (std::int64_t j = 0; j < cols; ++j) yr[j] = xr[j] + bias[j];
      }
    }
  });
}

// Sums in double, as the reference does, so long reductions (bias gradients over 65,536
// pixels) agree with it to float precision. The accumulators come from new[] rather than a
// std::vector: a vector's out-of-line members would be compiled for this file's ISA level
// under the same names as everyone else's.
void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner) {
  if (outer >= backend::num_threads() || mid < 2 * backend::num_threads()) {
    parallel_for(outer * inner, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(mid, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   // Whole (o, i) columns: walk each outer block row by row for locality.
                   double* acc = new double[static_cast<std::size_t>(std::min(inner, e - b))];
                   for (std::int64_t idx = b; idx < e;) {
                     const std::int64_t o = idx / inner, i0 = idx % inner;
                     const std::int64_t i1 = std::min(inner, i0 + (e - idx));
                     std::fill(acc, acc + (i1 - i0), 0.0);
                     for (std::int64_t m = 0; m < mid; ++m) {
                       const float* row = x + (o * mid + m) * inner;
                       for (std::int64_t i = i0; i < i1; ++i) acc[i - i0] += row[i];
                     }
                     for (std::int64_t i = i0; i < i1; ++i) y[o * inner + i] = static_cast<float>(acc[i - i0]);
                     idx += i1 - i0;
                   }
                   delete[] acc;
                 });
    return;
  }
  // Few outer blocks, long middle axis: each thread sums a slice of rows, then partials add.
  const int threads = backend::num_threads();
  double* partial = new double[static_cast<std::size_t>(threads) * static_cast<std::size_t>(inner)];
  for (std::int64_t o = 0; o < outer; ++o) {
    std::fill(partial, partial + threads * inner, 0.0);
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      double* acc = partial + t * inner;
      for (std::int64_t m = mid * t / nt; m < mid * (t + 1) / nt; ++m) {
        const float* row = x + (o * mid + m) * inner;
        for (std::int64_t i = 0; i < inner; ++i) acc[i] += row[i];
      }
    }
    for (std::int64_t i = 0; i < inner; ++i) {
      double total = 0.0;
      for (int t = 0; t < threads; ++t) total += partial[t * inner + i];
      y[o * inner + i] = static_cast<float>(total);
    }
  }
  delete[] partial;
}

// The running maximum keeps the first maximal element, and a NaN beats everything.
void reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer, std::int64_t mid,
                std::int64_t inner) {
  parallel_for(outer, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(mid * inner, 1)),
               [&](std::int64_t o0, std::int64_t o1) {
                 for (std::int64_t o = o0; o < o1; ++o) {
                   const float* block = x + o * mid * inner;
                   float* yo = y + o * inner;
                   std::int32_t* ao = argmax ? argmax + o * inner : nullptr;
                   std::copy_n(block, inner, yo);
                   if (ao) std::fill(ao, ao + inner, 0);
                   for (std::int64_t m = 1; m < mid; ++m) {
                     const float* row = block + m * inner;
                     for (std::int64_t i = 0; i < inner; ++i) {
                       if (rules::beats(row[i], yo[i])) {
                         yo[i] = row[i];
                         if (ao) ao[i] = static_cast<std::int32_t>(m);
                       }
                     }
                   }
                 }
               });
}

void expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner,
                float scale) {
  parallel_for(outer * mid, std::max<std::int64_t>(1, kElementwiseChunk / inner), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* src = x + (r / mid) * inner;
      float* dst = y + r * inner;
      for (std::int64_t i = 0; i < inner; ++i) dst[i] = scale * src[i];
    }
  });
}

void scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t outer,
                    std::int64_t mid, std::int64_t inner) {
  parallel_for(outer, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(mid * inner, 1)),
               [&](std::int64_t o0, std::int64_t o1) {
                 std::fill(dx + o0 * mid * inner, dx + o1 * mid * inner, 0.0f);
                 for (std::int64_t o = o0; o < o1; ++o) {
                   for (std::int64_t i = 0; i < inner; ++i) {
                     dx[(o * mid + argmax[o * inner + i]) * inner + i] = dy[o * inner + i];
                   }
                 }
               });
}

void copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
               std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t rows, std::int64_t len,
               bool accumulate) {
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(len, 1)),
               [&](std::int64_t r0, std::int64_t r1) {
                 for (std::int64_t r = r0; r < r1; ++r) {
                   const float* s = src + r * src_stride + src_offset;
                   float* d = dst + r * dst_stride + dst_offset;
                   if (accumulate) {
                     for (std::int64_t j = 0; j < len; ++j) d[j] += s[j];
                   } else {
                     std::copy_n(s, len, d);
                   }
                 }
               });
}

void one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
             std::int32_t* invalid) {
  std::atomic<std::int32_t> outside{0};
  parallel_for(static_cast<std::int64_t>(n), std::max<std::int64_t>(1, kElementwiseChunk / depth),
               [&](std::int64_t b, std::int64_t e) {
                 std::fill(y + b * depth, y + e * depth, 0.0f);
                 std::int32_t here = 0;
                 for (std::int64_t i = b; i < e; ++i) {
                   if (labels[i] < 0 || labels[i] >= depth) {
                     ++here;
                   } else {
                     y[i * depth + labels[i]] = 1.0f;
                   }
                 }
                 if (here) outside.fetch_add(here, std::memory_order_relaxed);
               });
  *invalid = outside.load();
}

// Max pooling, NHWC: each output pixel's channels at once, so the loops run along the
// contiguous channel axis. (oneDNN's max pooling drops NaN; Keras' window is clipped to the
// image, as here.)
struct Window {
  std::int64_t h0, h1, w0, w1;
};
Window window_of(const Pool2DGeometry& g, std::int64_t oh, std::int64_t ow) {
  const std::int64_t h = oh * g.stride_h - g.pad_top, w = ow * g.stride_w - g.pad_left;
  return {std::max<std::int64_t>(h, 0), std::min(h + g.pool_h, g.in_h), std::max<std::int64_t>(w, 0),
          std::min(w + g.pool_w, g.in_w)};
}

void max_pool_forward(const Pool2DGeometry& g, const float* x, float* y) {
  const std::int64_t c = g.channels;
  const std::int64_t rows = g.batch * g.out_h;
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(1, g.out_w * c * g.pool_h * g.pool_w)),
               [&](std::int64_t r0, std::int64_t r1) {
                 for (std::int64_t r = r0; r < r1; ++r) {
                   const std::int64_t n = r / g.out_h, oh = r % g.out_h;
                   for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
                     float* yo = y + (r * g.out_w + ow) * c;
                     std::fill(yo, yo + c, -std::numeric_limits<float>::infinity());
                     const Window win = window_of(g, oh, ow);
                     for (std::int64_t ih = win.h0; ih < win.h1; ++ih) {
                       for (std::int64_t iw = win.w0; iw < win.w1; ++iw) {
                         const float* xi = x + ((n * g.in_h + ih) * g.in_w + iw) * c;
                         for (std::int64_t k = 0; k < c; ++k) yo[k] = rules::beats(xi[k], yo[k]) ? xi[k] : yo[k];
                       }
                     }
                   }
                 }
               });
}

// The gradient of each output goes to the first input of its window (row by row) that equals
// it, or is NaN where it is NaN. Windows of neighbouring rows overlap, so threads split images.
void max_pool_backward(const Pool2DGeometry& g, const float* x, const float* y, const float* dy, float* dx) {
  const std::int64_t c = g.channels;
  const std::int64_t image = g.in_h * g.in_w * c;
  parallel_for(g.batch, 1, [&](std::int64_t n0, std::int64_t n1) {
    float* routed = new float[static_cast<std::size_t>(c)];  // 1 once a channel's gradient is placed
    std::fill(dx + n0 * image, dx + n1 * image, 0.0f);
    for (std::int64_t n = n0; n < n1; ++n) {
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const std::int64_t o = ((n * g.out_h + oh) * g.out_w + ow) * c;
          const float* yo = y + o;
          const float* dyo = dy + o;
          std::fill(routed, routed + c, 0.0f);
          const Window win = window_of(g, oh, ow);
          for (std::int64_t ih = win.h0; ih < win.h1; ++ih) {
            for (std::int64_t iw = win.w0; iw < win.w1; ++iw) {
              const std::int64_t i = ((n * g.in_h + ih) * g.in_w + iw) * c;
              for (std::int64_t k = 0; k < c; ++k) {
                const float v = x[i + k];
                const bool hit = routed[k] == 0.0f && (v == yo[k] || (v != v && yo[k] != yo[k]));
                dx[i + k] += hit ? dyo[k] : 0.0f;
                routed[k] = hit ? 1.0f : routed[k];
              }
            }
          }
        }
      }
    }
    delete[] routed;
  });
}

// Fused optimizer updates: the rules of element_rules.hpp (shared with the reference, so the
// rounding is the same), one pass, many threads.
void adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                 float one_minus_beta_1, float one_minus_beta_2, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      rules::adam_element(var[i], m[i], v[i], v_max ? v_max + i : nullptr, g[i], alpha, one_minus_beta_1,
                          one_minus_beta_2, epsilon);
    }
  });
}

void sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum, bool nesterov) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) rules::sgd_element(var[i], m ? m + i : nullptr, g[i], lr, momentum, nesterov);
  });
}

void rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                    std::size_t n, float lr, float rho, float momentum, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      rules::rmsprop_element(var[i], velocity[i], momentum_slot ? momentum_slot + i : nullptr,
                             average ? average + i : nullptr, g[i], lr, rho, momentum, epsilon);
    }
  });
}

void adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) rules::adagrad_element(var[i], accumulator[i], g[i], lr, epsilon);
  });
}

void nadam_update(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                  float one_minus_beta_2, float m_scale, float g_scale, float v_divisor, float lr,
                  float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      rules::nadam_element(var[i], m[i], v[i], g[i], one_minus_beta_1, one_minus_beta_2, m_scale, g_scale,
                           v_divisor, lr, epsilon);
    }
  });
}

// max |x| over [b, e) in 16 independent lanes (so it vectorizes without -ffast-math), NaN
// if any element is NaN.
float max_magnitude_chunk(const float* x, std::int64_t b, std::int64_t e) {
  constexpr int kLanes = 16;
  float top[kLanes] = {};
  float nan_seen[kLanes] = {};
  std::int64_t i = b;
  for (; i + kLanes <= e; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      const float v = std::fabs(x[i + k]);
      top[k] = v > top[k] ? v : top[k];
      nan_seen[k] = v != v ? 1.0f : nan_seen[k];
    }
  }
  float result = 0.0f;
  for (; i < e; ++i) result = rules::maximum(result, std::fabs(x[i]));
  for (int k = 0; k < kLanes; ++k) {
    result = rules::maximum(result, top[k]);
    if (nan_seen[k] != 0.0f) result = std::numeric_limits<float>::quiet_NaN();
  }
  return result;
}

float max_magnitude(const float* x, std::int64_t n) {
  const int threads = parallel_threads(n, kElementwiseChunk);
  if (threads <= 1) return max_magnitude_chunk(x, 0, n);
  float* partial = new float[static_cast<std::size_t>(threads)];
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    partial[t] = max_magnitude_chunk(x, n * t / nt, n * (t + 1) / nt);
  }
  float result = 0.0f;
  for (int t = 0; t < threads; ++t) result = rules::maximum(result, partial[t]);
  delete[] partial;
  return result;
}

// Whether a row holds a NaN or an infinity (v * 0 is 0 exactly for finite v).
bool nonfinite(const float* row, std::int64_t cols) {
  float probe = 0.0f;
  for (std::int64_t j = 0; j < cols; ++j) probe += row[j] * 0.0f;
  return probe != 0.0f;
}

void softmax_fix_nonfinite_rows(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log) {
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(cols, 1)),
               [&](std::int64_t r0, std::int64_t r1) {
                 for (std::int64_t r = r0; r < r1; ++r) {
                   if (nonfinite(x + r * cols, cols)) rules::softmax_row(x + r * cols, y + r * cols, cols, log);
                 }
               });
}

void softmax_backward_fix_nonfinite_rows(const float* y, const float* dy, float* dx, std::int64_t rows,
                                         std::int64_t cols, bool log) {
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(cols, 1)),
               [&](std::int64_t r0, std::int64_t r1) {
                 for (std::int64_t r = r0; r < r1; ++r) {
                   const std::int64_t o = r * cols;
                   if (nonfinite(y + o, cols) || nonfinite(dy + o, cols)) {
                     rules::softmax_backward_row(y + o, dy + o, dx + o, cols, log);
                   }
                 }
               });
}

}  // namespace

const Loops& loops_table() {
  static const Loops table{
      KERASCPP_STRINGIFY(KERASCPP_LOOPS_ISA),
      fill, cast, random_uniform, random_normal, dropout_mask, unary, unary_backward, binary,
      select_mask, affine, bias_add, reduce_sum, reduce_max, expand_mid, scatter_argmax,
      copy_rows, one_hot, max_pool_forward, max_pool_backward, adam_update, sgd_update,
      rmsprop_update, adagrad_update, nadam_update,
      max_magnitude, softmax_fix_nonfinite_rows, softmax_backward_fix_nonfinite_rows};
  return table;
}

}  // namespace keras::cpu::KERASCPP_LOOPS_ISA
