// CPU kernels without oneDNN: memory, casts, random numbers, element-wise maps (Eigen's
// vectorized transcendental functions), broadcasts, reductions, row copies, labels. Every loop
// is split across the process's threads with parallel_for.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "../common/broadcast_rows.hpp"
#include "../common/element_rules.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace keras::cpu {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

void* CpuBackend::allocate(std::size_t bytes) { return blocks_.allocate(bytes); }
void CpuBackend::deallocate(void* ptr) noexcept { blocks_.deallocate(ptr); }

namespace {
void parallel_copy(void* dst, const void* src, std::size_t bytes) {
  if (!bytes) return;
  parallel_for(static_cast<std::int64_t>(bytes), 4 * kElementwiseChunk,
               [&](std::int64_t b, std::int64_t e) {
                 std::memcpy(static_cast<char*>(dst) + b, static_cast<const char*>(src) + b,
                             static_cast<std::size_t>(e - b));
               });
}
}  // namespace

void CpuBackend::copy_from_host(void* dst, const void* src, std::size_t bytes) {
  parallel_copy(dst, src, bytes);
}
void CpuBackend::copy_to_host(void* dst, const void* src, std::size_t bytes) {
  parallel_copy(dst, src, bytes);
}
void CpuBackend::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);  // may overlap: no split
}
void CpuBackend::fill(float* y, std::size_t n, float value) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk,
               [&](std::int64_t b, std::int64_t e) { std::fill(y + b, y + e, value); });
}

void CpuBackend::cast(const void* x, DType from, void* y, DType to, std::size_t n) {
  if (from == to) {
    parallel_copy(y, x, n * size_of(from));
    return;
  }
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) element_rules::cast_element(x, from, y, to, static_cast<std::size_t>(i));
  });
}

// Counter-based generators: element i depends on (seed, i) only, so chunks may run anywhere
// and every backend draws the same numbers.
void CpuBackend::random_uniform(float* y, std::size_t n, std::uint64_t seed, float low,
                                float high) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = element_rules::uniform_element(seed, i, low, high);
  });
}
void CpuBackend::random_normal(float* y, std::size_t n, std::uint64_t seed, float mean,
                               float stddev) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = element_rules::normal_element(seed, i, mean, stddev);
  });
}
void CpuBackend::dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) {
  const float keep_scale = 1.0f / (1.0f - rate);
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) mask[i] = element_rules::dropout_element(seed, i, rate, keep_scale);
  });
}

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// y = f(x) over one chunk; Eigen vectorizes exp, log, tanh, logistic and sqrt.
void unary_chunk(UnaryOp op, UnaryParams p, const float* xp, float* yp, std::int64_t n) {
  ConstArrayMap x(xp, n);
  ArrayMap y(yp, n);
  switch (op) {
    case UnaryOp::relu:
      if (p.alpha == 0.0f && p.beta == 0.0f) {
        y = x.max(0.0f).min(p.gamma);
      } else {
        for (std::int64_t i = 0; i < n; ++i) {
          yp[i] = xp[i] > p.beta ? std::min(xp[i], p.gamma) : p.alpha * (xp[i] - p.beta);
        }
      }
      return;
    case UnaryOp::elu:
      y = (x > 0.0f).select(x, p.alpha * (x.min(0.0f).exp() - 1.0f));
      return;
    case UnaryOp::leaky_relu: y = (x > 0.0f).select(x, p.alpha * x); return;
    case UnaryOp::gelu:
      for (std::int64_t i = 0; i < n; ++i) yp[i] = 0.5f * xp[i] * (1.0f + std::erf(xp[i] * kInvSqrt2));
      return;
    case UnaryOp::sigmoid: y = x.logistic(); return;
    case UnaryOp::tanh: y = x.tanh(); return;
    case UnaryOp::exp: y = x.exp(); return;
    case UnaryOp::log: y = x.log(); return;
    case UnaryOp::sqrt: y = x.sqrt(); return;
    case UnaryOp::square: y = x.square(); return;
    case UnaryOp::abs: y = x.abs(); return;
    case UnaryOp::neg: y = -x; return;
    case UnaryOp::clip: y = x.max(p.alpha).min(p.beta); return;
    case UnaryOp::reciprocal: y = x.inverse(); return;
  }
}

// dx = dy * f'(x), with y = f(x).
void unary_backward_chunk(UnaryOp op, UnaryParams p, const float* xp, const float* yp,
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
    case UnaryOp::leaky_relu: dx = (x > 0.0f).select(dy, dy * p.alpha); return;
    case UnaryOp::gelu:
      for (std::int64_t i = 0; i < n; ++i) {
        const float d = 0.5f * (1.0f + std::erf(xp[i] * kInvSqrt2)) +
                        xp[i] * kInvSqrt2Pi * std::exp(-0.5f * xp[i] * xp[i]);
        dxp[i] = dyp[i] * d;
      }
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
      dx = (x >= p.alpha && x <= p.beta).select(dy, Eigen::ArrayXf::Zero(n));
      return;
    case UnaryOp::reciprocal: dx = dy * (-y * y); return;
  }
}
}  // namespace

void CpuBackend::unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk,
               [&](std::int64_t b, std::int64_t e) { unary_chunk(op, p, x + b, y + b, e - b); });
}

void CpuBackend::unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y,
                                const float* dy, float* dx, std::size_t n) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    unary_backward_chunk(op, p, x + b, y + b, dy + b, dx + b, e - b);
  });
}

namespace {
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
}  // namespace

void CpuBackend::binary(BinaryOp op, const float* a, const float* b, float* y,
                        const BroadcastSpec& spec) {
  switch (op) {
    case BinaryOp::add: broadcast_apply([](float u, float v) { return u + v; }, a, b, y, spec); return;
    case BinaryOp::subtract: broadcast_apply([](float u, float v) { return u - v; }, a, b, y, spec); return;
    case BinaryOp::multiply: broadcast_apply([](float u, float v) { return u * v; }, a, b, y, spec); return;
    case BinaryOp::divide: broadcast_apply([](float u, float v) { return u / v; }, a, b, y, spec); return;
    case BinaryOp::maximum: broadcast_apply([](float u, float v) { return std::max(u, v); }, a, b, y, spec); return;
    case BinaryOp::minimum: broadcast_apply([](float u, float v) { return std::min(u, v); }, a, b, y, spec); return;
  }
}

void CpuBackend::select_mask(BinaryOp op, const float* a, const float* b, float* mask_a,
                             const BroadcastSpec& spec) {
  if (op == BinaryOp::maximum) {
    broadcast_apply([](float u, float v) { return u >= v ? 1.0f : 0.0f; }, a, b, mask_a, spec);
  } else {
    broadcast_apply([](float u, float v) { return u <= v ? 1.0f : 0.0f; }, a, b, mask_a, spec);
  }
}

void CpuBackend::affine(const float* x, float* y, std::size_t n, float scale, float shift) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] = scale * x[i] + shift;
  });
}

void CpuBackend::bias_add(const float* x, const float* bias, float* y, std::int64_t rows,
                          std::int64_t cols, FusedActivation act) {
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseChunk / cols), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      if (act == FusedActivation::relu) {
        for (std::int64_t j = 0; j < cols; ++j) yr[j] = std::max(xr[j] + bias[j], 0.0f);
      } else {
        for (std::int64_t j = 0; j < cols; ++j) yr[j] = xr[j] + bias[j];
      }
    }
  });
}

// Sums in double, as the reference does, so long reductions (bias gradients over 65,536
// pixels) agree with it to float precision.
void CpuBackend::reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                            std::int64_t inner) {
  if (outer >= backend::num_threads() || mid < 2 * backend::num_threads()) {
    parallel_for(outer * inner, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(mid, 1)),
                 [&](std::int64_t b, std::int64_t e) {
                   // Whole (o, i) columns: walk each outer block row by row for locality.
                   std::vector<double> acc;
                   for (std::int64_t idx = b; idx < e;) {
                     const std::int64_t o = idx / inner, i0 = idx % inner;
                     const std::int64_t i1 = std::min(inner, i0 + (e - idx));
                     acc.assign(static_cast<std::size_t>(i1 - i0), 0.0);
                     for (std::int64_t m = 0; m < mid; ++m) {
                       const float* row = x + (o * mid + m) * inner;
                       for (std::int64_t i = i0; i < i1; ++i) acc[i - i0] += row[i];
                     }
                     for (std::int64_t i = i0; i < i1; ++i) y[o * inner + i] = static_cast<float>(acc[i - i0]);
                     idx += i1 - i0;
                   }
                 });
    return;
  }
  // Few outer blocks, long middle axis: each thread sums a slice of rows, then partials add.
  const int threads = backend::num_threads();
  std::vector<std::vector<double>> partial(static_cast<std::size_t>(threads));
  for (std::int64_t o = 0; o < outer; ++o) {
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      auto& acc = partial[t];
      acc.assign(static_cast<std::size_t>(inner), 0.0);
      for (std::int64_t m = mid * t / nt; m < mid * (t + 1) / nt; ++m) {
        const float* row = x + (o * mid + m) * inner;
        for (std::int64_t i = 0; i < inner; ++i) acc[i] += row[i];
      }
    }
    for (std::int64_t i = 0; i < inner; ++i) {
      double total = 0.0;
      for (const auto& acc : partial) total += acc.empty() ? 0.0 : acc[i];
      y[o * inner + i] = static_cast<float>(total);
    }
    for (auto& acc : partial) acc.clear();
  }
}

void CpuBackend::reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer,
                            std::int64_t mid, std::int64_t inner) {
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
                       if (row[i] > yo[i]) {
                         yo[i] = row[i];
                         if (ao) ao[i] = static_cast<std::int32_t>(m);
                       }
                     }
                   }
                 }
               });
}

void CpuBackend::expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                            std::int64_t inner, float scale) {
  parallel_for(outer * mid, std::max<std::int64_t>(1, kElementwiseChunk / inner), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* src = x + (r / mid) * inner;
      float* dst = y + r * inner;
      for (std::int64_t i = 0; i < inner; ++i) dst[i] = scale * src[i];
    }
  });
}

void CpuBackend::scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx,
                                std::int64_t outer, std::int64_t mid, std::int64_t inner) {
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

void CpuBackend::copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset,
                           float* dst, std::int64_t dst_stride, std::int64_t dst_offset,
                           std::int64_t rows, std::int64_t len, bool accumulate) {
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

void CpuBackend::gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows,
                             std::size_t count, void* dst) {
  const auto chunk = std::max<std::int64_t>(1, 4 * kElementwiseChunk / std::max<std::int64_t>(1, static_cast<std::int64_t>(row_bytes)));
  parallel_for(static_cast<std::int64_t>(count), chunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      std::memcpy(static_cast<char*>(dst) + static_cast<std::size_t>(i) * row_bytes,
                  static_cast<const char*>(src) + static_cast<std::size_t>(rows[i]) * row_bytes, row_bytes);
    }
  });
}

void CpuBackend::one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y) {
  parallel_for(static_cast<std::int64_t>(n), std::max<std::int64_t>(1, kElementwiseChunk / depth),
               [&](std::int64_t b, std::int64_t e) {
                 std::fill(y + b * depth, y + e * depth, 0.0f);
                 for (std::int64_t i = b; i < e; ++i) y[i * depth + labels[i]] = 1.0f;
               });
}

// Fused optimizer updates: the rules of element_rules.hpp (shared with the reference, so the
// rounding is the same), one pass, many threads.
void CpuBackend::adam_update(float* var, float* m, float* v, float* v_max, const float* g,
                             std::size_t n, float alpha, float one_minus_beta_1,
                             float one_minus_beta_2, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      element_rules::adam_element(var[i], m[i], v[i], v_max ? v_max + i : nullptr, g[i], alpha,
                                  one_minus_beta_1, one_minus_beta_2, epsilon);
    }
  });
}

void CpuBackend::sgd_update(float* var, float* m, const float* g, std::size_t n, float lr,
                            float momentum, bool nesterov) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) element_rules::sgd_element(var[i], m ? m + i : nullptr, g[i], lr, momentum, nesterov);
  });
}

void CpuBackend::rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average,
                                const float* g, std::size_t n, float lr, float rho,
                                float momentum, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      element_rules::rmsprop_element(var[i], velocity[i], momentum_slot ? momentum_slot + i : nullptr,
                                     average ? average + i : nullptr, g[i], lr, rho, momentum, epsilon);
    }
  });
}

void CpuBackend::adagrad_update(float* var, float* accumulator, const float* g, std::size_t n,
                                float lr, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) element_rules::adagrad_element(var[i], accumulator[i], g[i], lr, epsilon);
  });
}

void CpuBackend::nadam_update(float* var, float* m, float* v, const float* g, std::size_t n,
                              float one_minus_beta_1, float one_minus_beta_2, float m_scale,
                              float g_scale, float v_divisor, float lr, float epsilon) {
  parallel_for(static_cast<std::int64_t>(n), kElementwiseChunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      element_rules::nadam_element(var[i], m[i], v[i], g[i], one_minus_beta_1, one_minus_beta_2, m_scale,
                                   g_scale, v_divisor, lr, epsilon);
    }
  });
}

}  // namespace keras::cpu
