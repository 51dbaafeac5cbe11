#pragma once
// The CPU backend's own loops (everything that is not a oneDNN primitive), as a table of
// functions. loops.cpp is compiled once per x86-64 ISA level (baseline, x86-64-v3 = AVX2+FMA,
// x86-64-v4 = AVX-512), each copy in its own namespace; loops() picks the best one this CPU
// runs, once per process, so one build is fast on every x86-64 CPU and runs on the oldest.
// $KERASCPP_CPU_LOOPS = baseline | avx2 | avx512 forces a level (tests prove each path).
#include <cstddef>
#include <cstdint>

#include "keras/core/backend.hpp"

namespace keras::cpu {

struct Loops {
  const char* isa;  // "baseline", "avx2", "avx512" (or "native" for KERASCPP_NATIVE_ARCH builds)

  // The backend methods of the same names (see keras/core/backend.hpp).
  void (*fill)(float* y, std::size_t n, float value);
  void (*cast)(const void* x, DType from, void* y, DType to, std::size_t n);
  void (*random_uniform)(float* y, std::size_t n, std::uint64_t seed, float low, float high);
  void (*random_normal)(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev);
  void (*dropout_mask)(float* mask, std::size_t n, std::uint64_t seed, float rate);
  void (*unary)(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n);
  void (*unary_backward)(UnaryOp op, UnaryParams p, const float* x, const float* y,
                         const float* dy, float* dx, std::size_t n);
  void (*binary)(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec);
  void (*select_mask)(BinaryOp op, const float* a, const float* b, float* mask_a,
                      const BroadcastSpec& spec);
  void (*affine)(const float* x, float* y, std::size_t n, float scale, float shift);
  void (*bias_add)(const float* x, const float* bias, float* y, std::int64_t rows,
                   std::int64_t cols, FusedActivation act);
  void (*reduce_sum)(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                     std::int64_t inner);
  void (*reduce_max)(const float* x, float* y, std::int32_t* argmax, std::int64_t outer,
                     std::int64_t mid, std::int64_t inner);
  void (*expand_mid)(const float* x, float* y, std::int64_t outer, std::int64_t mid,
                     std::int64_t inner, float scale);
  void (*scatter_argmax)(const float* dy, const std::int32_t* argmax, float* dx,
                         std::int64_t outer, std::int64_t mid, std::int64_t inner);
  void (*copy_rows)(const float* src, std::int64_t src_stride, std::int64_t src_offset,
                    float* dst, std::int64_t dst_stride, std::int64_t dst_offset,
                    std::int64_t rows, std::int64_t len, bool accumulate);
  void (*one_hot)(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
                  std::int32_t* invalid);
  void (*max_pool_forward)(const Pool2DGeometry& g, const float* x, float* y);
  void (*max_pool_backward)(const Pool2DGeometry& g, const float* x, const float* y,
                            const float* dy, float* dx);
  void (*adam_update)(float* var, float* m, float* v, float* v_max, const float* g,
                      std::size_t n, float alpha, float one_minus_beta_1,
                      float one_minus_beta_2, float epsilon);
  void (*sgd_update)(float* var, float* m, const float* g, std::size_t n, float lr,
                     float momentum, bool nesterov);
  void (*rmsprop_update)(float* var, float* velocity, float* momentum_slot, float* average,
                         const float* g, std::size_t n, float lr, float rho, float momentum,
                         float epsilon);
  void (*adagrad_update)(float* var, float* accumulator, const float* g, std::size_t n,
                         float lr, float epsilon);
  void (*nadam_update)(float* var, float* m, float* v, const float* g, std::size_t n,
                       float one_minus_beta_1, float one_minus_beta_2, float m_scale,
                       float g_scale, float v_divisor, float lr, float epsilon);

  // Helpers of the oneDNN kernels.
  // max |x[i]|, NaN if any element is NaN: decides whether a fused relu may drop a NaN.
  float (*max_magnitude)(const float* x, std::int64_t n);
  // Rows of a (rows, cols) softmax whose input holds a NaN or infinity, recomputed by the
  // plain rule (oneDNN's kernels drop NaN from the row maximum); finite rows are left alone.
  void (*softmax_fix_nonfinite_rows)(const float* x, float* y, std::int64_t rows,
                                     std::int64_t cols, bool log);
  // The same for the backward pass, for rows whose y or dy holds a NaN or infinity.
  void (*softmax_backward_fix_nonfinite_rows)(const float* y, const float* dy, float* dx,
                                              std::int64_t rows, std::int64_t cols, bool log);
};

// The table this process uses (chosen on first call; BackendError if $KERASCPP_CPU_LOOPS asks
// for a level this CPU lacks or is misspelt).
const Loops& loops();

}  // namespace keras::cpu
