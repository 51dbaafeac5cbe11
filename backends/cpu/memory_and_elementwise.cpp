// CPU kernels without oneDNN: memory and copies here; casts, random numbers, element-wise maps,
// broadcasts, reductions, labels and the optimizer updates go to the loops of this CPU's ISA
// level (loops.hpp).
#include <cstring>

#include "../common/transpose_rows.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace keras::cpu {

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
void CpuBackend::fill(float* y, std::size_t n, float value) { loops_.fill(y, n, value); }

void CpuBackend::cast(const void* x, DType from, void* y, DType to, std::size_t n) {
  if (from == to) {
    parallel_copy(y, x, n * size_of(from));
    return;
  }
  loops_.cast(x, from, y, to, n);
}

void CpuBackend::random_uniform(float* y, std::size_t n, std::uint64_t seed, float low, float high) {
  loops_.random_uniform(y, n, seed, low, high);
}
void CpuBackend::random_normal(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) {
  loops_.random_normal(y, n, seed, mean, stddev);
}
void CpuBackend::dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) {
  loops_.dropout_mask(mask, n, seed, rate);
}

void CpuBackend::unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) {
  loops_.unary(op, p, x, y, n);
}
void CpuBackend::unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y,
                                const float* dy, float* dx, std::size_t n) {
  loops_.unary_backward(op, p, x, y, dy, dx, n);
}
void CpuBackend::binary(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec) {
  loops_.binary(op, a, b, y, spec);
}
void CpuBackend::select_mask(BinaryOp op, const float* a, const float* b, float* mask_a,
                             const BroadcastSpec& spec) {
  loops_.select_mask(op, a, b, mask_a, spec);
}
void CpuBackend::affine(const float* x, float* y, std::size_t n, float scale, float shift) {
  loops_.affine(x, y, n, scale, shift);
}
void CpuBackend::bias_add(const float* x, const float* bias, float* y, std::int64_t rows,
                          std::int64_t cols, FusedActivation act) {
  loops_.bias_add(x, bias, y, rows, cols, act);
}

void CpuBackend::reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner) {
  loops_.reduce_sum(x, y, outer, mid, inner);
}
void CpuBackend::reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer,
                            std::int64_t mid, std::int64_t inner) {
  loops_.reduce_max(x, y, argmax, outer, mid, inner);
}
void CpuBackend::expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                            std::int64_t inner, float scale) {
  loops_.expand_mid(x, y, outer, mid, inner, scale);
}
void CpuBackend::scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx,
                                std::int64_t outer, std::int64_t mid, std::int64_t inner) {
  loops_.scatter_argmax(dy, argmax, dx, outer, mid, inner);
}
void CpuBackend::copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset,
                           float* dst, std::int64_t dst_stride, std::int64_t dst_offset,
                           std::int64_t rows, std::int64_t len, bool accumulate) {
  loops_.copy_rows(src, src_stride, src_offset, dst, dst_stride, dst_offset, rows, len, accumulate);
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

void CpuBackend::transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                           const std::vector<int>& perm) {
  const TransposePlan plan(dims, perm);
  parallel_for(plan.rows(), std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(1, dims.empty() ? 1 : dims.back())),
               [&](std::int64_t b, std::int64_t e) {
                 plan.copy(static_cast<const char*>(x), static_cast<char*>(y), elem_bytes, b, e);
               });
}

void CpuBackend::one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
                         std::int32_t* invalid) {
  loops_.one_hot(labels, n, depth, y, invalid);
}

void CpuBackend::adam_update(float* var, float* m, float* v, float* v_max, const float* g,
                             std::size_t n, float alpha, float one_minus_beta_1,
                             float one_minus_beta_2, float epsilon) {
  loops_.adam_update(var, m, v, v_max, g, n, alpha, one_minus_beta_1, one_minus_beta_2, epsilon);
}
void CpuBackend::sgd_update(float* var, float* m, const float* g, std::size_t n, float lr,
                            float momentum, bool nesterov) {
  loops_.sgd_update(var, m, g, n, lr, momentum, nesterov);
}
void CpuBackend::rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average,
                                const float* g, std::size_t n, float lr, float rho,
                                float momentum, float epsilon) {
  loops_.rmsprop_update(var, velocity, momentum_slot, average, g, n, lr, rho, momentum, epsilon);
}
void CpuBackend::adagrad_update(float* var, float* accumulator, const float* g, std::size_t n,
                                float lr, float epsilon) {
  loops_.adagrad_update(var, accumulator, g, n, lr, epsilon);
}
void CpuBackend::nadam_update(float* var, float* m, float* v, const float* g, std::size_t n,
                              float one_minus_beta_1, float one_minus_beta_2, float m_scale,
                              float g_scale, float v_divisor, float lr, float epsilon) {
  loops_.nadam_update(var, m, v, g, n, one_minus_beta_1, one_minus_beta_2, m_scale, g_scale,
                      v_divisor, lr, epsilon);
}

}  // namespace keras::cpu
