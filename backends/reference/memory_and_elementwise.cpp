// Reference kernels: memory, casts, random numbers, element-wise maps, reductions, softmax.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "../common/broadcast_rows.hpp"
#include "../common/transpose_rows.hpp"
#include "../common/element_rules.hpp"
#include "keras/internal/backend_factories.hpp"
#include "reference_backend.hpp"

namespace keras {
namespace internal {
std::unique_ptr<Backend> make_reference_backend() {
  return std::make_unique<reference::ReferenceBackend>();
}
}  // namespace internal

namespace reference {

void* ReferenceBackend::allocate(std::size_t bytes) {
  // 64-byte alignment keeps vectorized loops on full cache lines.
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return p;
}
void ReferenceBackend::deallocate(void* ptr) noexcept { std::free(ptr); }
void ReferenceBackend::copy_from_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void ReferenceBackend::copy_to_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void ReferenceBackend::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes) std::memmove(dst, src, bytes);
}
void ReferenceBackend::fill(float* y, std::size_t n, float value) { std::fill(y, y + n, value); }

void ReferenceBackend::cast(const void* x, DType from, void* y, DType to, std::size_t n) {
  if (from == to) {
    copy(y, x, n * size_of(from));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) element_rules::cast_element(x, from, y, to, i);
}

void ReferenceBackend::random_uniform(float* y, std::size_t n, std::uint64_t seed, float low,
                                      float high) {
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = element_rules::uniform_element(seed, i, low, high);
  }
}
void ReferenceBackend::random_normal(float* y, std::size_t n, std::uint64_t seed, float mean,
                                     float stddev) {
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = element_rules::normal_element(seed, i, mean, stddev);
  }
}
void ReferenceBackend::dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) {
  const float keep_scale = 1.0f / (1.0f - rate);
  for (std::size_t i = 0; i < n; ++i) {
    mask[i] = element_rules::dropout_element(seed, i, rate, keep_scale);
  }
}

namespace {
// Calls f(a_index, b_index, out_index) for every output element of a broadcast.
template <class F>
void for_each_broadcast(const BroadcastSpec& s, F f) {
  const int rank = static_cast<int>(s.out_dims.size());
  std::int64_t total = 1;
  for (auto d : s.out_dims) total *= d;
  if (total == 0) return;
  if (rank == 0) {
    f(0, 0, 0);
    return;
  }
  const std::int64_t inner = s.out_dims[rank - 1];
  const std::int64_t sa = s.a_strides[rank - 1], sb = s.b_strides[rank - 1];
  BroadcastRowCursor cursor(s, 0);
  for (std::int64_t out = 0; out < total; out += inner, cursor.next()) {
    for (std::int64_t j = 0; j < inner; ++j) f(cursor.a() + j * sa, cursor.b() + j * sb, out + j);
  }
}
}  // namespace

void ReferenceBackend::unary(UnaryOp op, UnaryParams p, const float* x, float* y,
                             std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = element_rules::unary_element(op, p, x[i]);
}

void ReferenceBackend::unary_backward(UnaryOp op, UnaryParams p, const float* x,
                                      const float* y, const float* dy, float* dx,
                                      std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * element_rules::unary_derivative(op, p, x[i], y[i]);
}

void ReferenceBackend::binary(BinaryOp op, const float* a, const float* b, float* y,
                              const BroadcastSpec& spec) {
  for_each_broadcast(spec, [&](std::int64_t ia, std::int64_t ib, std::int64_t o) {
    y[o] = element_rules::combine(op, a[ia], b[ib]);
  });
}

void ReferenceBackend::select_mask(BinaryOp op, const float* a, const float* b, float* mask_a,
                                   const BroadcastSpec& spec) {
  for_each_broadcast(spec, [&](std::int64_t ia, std::int64_t ib, std::int64_t o) {
    const bool picks_a = op == BinaryOp::maximum ? a[ia] >= b[ib] : a[ia] <= b[ib];
    mask_a[o] = picks_a ? 1.0f : 0.0f;
  });
}

void ReferenceBackend::affine(const float* x, float* y, std::size_t n, float scale,
                              float shift) {
  for (std::size_t i = 0; i < n; ++i) y[i] = scale * x[i] + shift;
}

void ReferenceBackend::reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                                  std::int64_t inner) {
  std::vector<double> acc(static_cast<std::size_t>(inner));
  for (std::int64_t o = 0; o < outer; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (std::int64_t m = 0; m < mid; ++m) {
      const float* row = x + (o * mid + m) * inner;
      for (std::int64_t i = 0; i < inner; ++i) acc[i] += row[i];
    }
    for (std::int64_t i = 0; i < inner; ++i) y[o * inner + i] = static_cast<float>(acc[i]);
  }
}

void ReferenceBackend::reduce_max(const float* x, float* y, std::int32_t* argmax,
                                  std::int64_t outer, std::int64_t mid, std::int64_t inner) {
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      std::int64_t best = 0;
      for (std::int64_t m = 1; m < mid; ++m) {
        if (element_rules::beats(x[(o * mid + m) * inner + i], x[(o * mid + best) * inner + i])) best = m;
      }
      y[o * inner + i] = x[(o * mid + best) * inner + i];
      if (argmax) argmax[o * inner + i] = static_cast<std::int32_t>(best);
    }
  }
}

void ReferenceBackend::expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                                  std::int64_t inner, float scale) {
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t m = 0; m < mid; ++m) {
      for (std::int64_t i = 0; i < inner; ++i) {
        y[(o * mid + m) * inner + i] = scale * x[o * inner + i];
      }
    }
  }
}

void ReferenceBackend::scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx,
                                      std::int64_t outer, std::int64_t mid, std::int64_t inner) {
  std::fill(dx, dx + outer * mid * inner, 0.0f);
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      dx[(o * mid + argmax[o * inner + i]) * inner + i] = dy[o * inner + i];
    }
  }
}

void ReferenceBackend::copy_rows(const float* src, std::int64_t src_stride,
                                 std::int64_t src_offset, float* dst, std::int64_t dst_stride,
                                 std::int64_t dst_offset, std::int64_t rows, std::int64_t len,
                                 bool accumulate) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * src_stride + src_offset;
    float* d = dst + r * dst_stride + dst_offset;
    for (std::int64_t j = 0; j < len; ++j) d[j] = accumulate ? d[j] + s[j] : s[j];
  }
}

void ReferenceBackend::gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows,
                                   std::size_t count, void* dst) {
  for (std::size_t i = 0; i < count; ++i) {
    std::memcpy(static_cast<char*>(dst) + i * row_bytes,
                static_cast<const char*>(src) + static_cast<std::size_t>(rows[i]) * row_bytes, row_bytes);
  }
}

void ReferenceBackend::transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                                 const std::vector<int>& perm) {
  const TransposePlan plan(dims, perm);
  plan.copy(static_cast<const char*>(x), static_cast<char*>(y), elem_bytes, 0, plan.rows());
}

void ReferenceBackend::softmax_forward(const float* x, float* y, std::int64_t rows,
                                       std::int64_t cols, bool log) {
  for (std::int64_t r = 0; r < rows; ++r) element_rules::softmax_row(x + r * cols, y + r * cols, cols, log);
}

void ReferenceBackend::softmax_backward(const float* y, const float* dy, float* dx,
                                        std::int64_t rows, std::int64_t cols, bool log) {
  for (std::int64_t r = 0; r < rows; ++r) {
    element_rules::softmax_backward_row(y + r * cols, dy + r * cols, dx + r * cols, cols, log);
  }
}

void ReferenceBackend::one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth,
                               float* y, std::int32_t* invalid) {
  std::fill(y, y + n * static_cast<std::size_t>(depth), 0.0f);
  std::int32_t outside = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (labels[i] < 0 || labels[i] >= depth) {
      ++outside;
    } else {
      y[i * static_cast<std::size_t>(depth) + static_cast<std::size_t>(labels[i])] = 1.0f;
    }
  }
  *invalid = outside;
}

}  // namespace reference
}  // namespace keras
