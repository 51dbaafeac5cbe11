// The CUDA backend's element-wise kernels: fills, casts, counter-based random numbers,
// element-wise maps and broadcasts, one-hot labels. The arithmetic of each element is
// backends/common/element_rules.hpp's, the same functions the host backends call, compiled
// without FMA contraction (--fmad=false) so that it rounds as they do.
#include <cmath>
#include <cstdint>

#include "../common/element_rules.hpp"
#include "keras/core/errors.hpp"
#include "launch.cuh"

namespace keras::cuda_backend {

namespace rules = element_rules;

namespace {

__global__ void fill_kernel(float* y, std::size_t n, float value) {
  KERASCPP_GRID_STRIDE(i, n) y[i] = value;
}

__device__ double load_as_double(const void* p, DType t, std::size_t i) {
  switch (t) {
    case DType::float32: return static_cast<const float*>(p)[i];
    case DType::bfloat16: {
      const std::uint32_t bits = static_cast<std::uint32_t>(static_cast<const std::uint16_t*>(p)[i]) << 16;
      return __uint_as_float(bits);
    }
    case DType::float16: return rules::float_of_float16_bits(static_cast<const std::uint16_t*>(p)[i]);
    case DType::int32: return static_cast<const std::int32_t*>(p)[i];
    case DType::uint8: return static_cast<const std::uint8_t*>(p)[i];
  }
  return 0.0;
}

// Float to integer truncates toward zero and saturates at the type's range (NaN -> 0), as the
// host rule (element_rules::detail::saturate) does.
__device__ double saturate(double v, double lo, double hi) {
  if (v != v) return 0.0;
  v = trunc(v);
  return v < lo ? lo : (v > hi ? hi : v);
}

__global__ void cast_kernel(const void* x, DType from, void* y, DType to, std::size_t n) {
  KERASCPP_GRID_STRIDE(i, n) {
    const double v = load_as_double(x, from, i);
    switch (to) {
      case DType::float32: static_cast<float*>(y)[i] = static_cast<float>(v); break;
      case DType::bfloat16:
        static_cast<std::uint16_t*>(y)[i] = static_cast<std::uint16_t>(rules::bfloat16_bits_of(static_cast<float>(v)));
        break;
      case DType::float16: static_cast<std::uint16_t*>(y)[i] = rules::float16_bits_of(static_cast<float>(v)); break;
      case DType::int32:
        static_cast<std::int32_t*>(y)[i] = static_cast<std::int32_t>(saturate(v, -2147483648.0, 2147483647.0));
        break;
      case DType::uint8: static_cast<std::uint8_t*>(y)[i] = static_cast<std::uint8_t>(saturate(v, 0.0, 255.0)); break;
    }
  }
}

__global__ void uniform_kernel(float* y, std::size_t n, std::uint64_t seed, float low, float high) {
  KERASCPP_GRID_STRIDE(i, n) y[i] = rules::uniform_element(seed, i, low, high);
}
__global__ void normal_kernel(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) {
  KERASCPP_GRID_STRIDE(i, n) y[i] = rules::normal_element(seed, i, mean, stddev);
}
__global__ void dropout_kernel(float* mask, std::size_t n, std::uint64_t seed, float rate, float keep_scale) {
  KERASCPP_GRID_STRIDE(i, n) mask[i] = rules::dropout_element(seed, i, rate, keep_scale);
}
// The same draws with the seed read from device memory (a replayed graph's seed table).
__global__ void uniform_at_kernel(float* y, std::size_t n, const std::uint64_t* seed, float low, float high) {
  const std::uint64_t s = *seed;
  KERASCPP_GRID_STRIDE(i, n) y[i] = rules::uniform_element(s, i, low, high);
}
__global__ void normal_at_kernel(float* y, std::size_t n, const std::uint64_t* seed, float mean, float stddev) {
  const std::uint64_t s = *seed;
  KERASCPP_GRID_STRIDE(i, n) y[i] = rules::normal_element(s, i, mean, stddev);
}
__global__ void dropout_at_kernel(float* mask, std::size_t n, const std::uint64_t* seed, float rate, float keep_scale) {
  const std::uint64_t s = *seed;
  KERASCPP_GRID_STRIDE(i, n) mask[i] = rules::dropout_element(s, i, rate, keep_scale);
}

__global__ void unary_kernel(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) {
  KERASCPP_GRID_STRIDE(i, n) y[i] = rules::unary_element(op, p, x[i]);
}
__global__ void unary_backward_kernel(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy,
                                      float* dx, std::size_t n) {
  KERASCPP_GRID_STRIDE(i, n) dx[i] = dy[i] * rules::unary_derivative(op, p, x[i], y[i]);
}
__global__ void affine_kernel(const float* x, float* y, std::size_t n, float scale, float shift) {
  KERASCPP_GRID_STRIDE(i, n) y[i] = scale * x[i] + shift;
}

// A broadcast's shape and strides, passed by value to the kernel.
constexpr int kMaxRank = 8;
struct Broadcast {
  int rank = 0;
  std::int64_t dims[kMaxRank] = {};
  std::int64_t a[kMaxRank] = {};
  std::int64_t b[kMaxRank] = {};
};

Broadcast to_device(const BroadcastSpec& spec, const std::string& backend, const char* kernel, std::size_t& total) {
  Broadcast d;
  d.rank = static_cast<int>(spec.out_dims.size());
  if (d.rank > kMaxRank) {
    throw BackendError(backend + ": " + kernel + " broadcasts over " + std::to_string(d.rank) +
                       " axes; the cuda backend supports up to " + std::to_string(kMaxRank) +
                       " (reshape the operands to merge axes)");
  }
  total = 1;
  for (int k = 0; k < d.rank; ++k) {
    d.dims[k] = spec.out_dims[k];
    d.a[k] = spec.a_strides[k];
    d.b[k] = spec.b_strides[k];
    total *= static_cast<std::size_t>(spec.out_dims[k]);
  }
  return d;
}

__device__ void broadcast_offsets(const Broadcast& s, std::size_t out, std::int64_t& ia, std::int64_t& ib) {
  ia = 0, ib = 0;
  for (int k = s.rank - 1; k >= 0; --k) {
    const std::int64_t coord = static_cast<std::int64_t>(out % static_cast<std::size_t>(s.dims[k]));
    out /= static_cast<std::size_t>(s.dims[k]);
    ia += coord * s.a[k];
    ib += coord * s.b[k];
  }
}

__global__ void binary_kernel(BinaryOp op, const float* a, const float* b, float* y, Broadcast s, std::size_t n) {
  KERASCPP_GRID_STRIDE(o, n) {
    std::int64_t ia, ib;
    broadcast_offsets(s, o, ia, ib);
    y[o] = rules::combine(op, a[ia], b[ib]);
  }
}
__global__ void select_mask_kernel(BinaryOp op, const float* a, const float* b, float* mask, Broadcast s,
                                   std::size_t n) {
  KERASCPP_GRID_STRIDE(o, n) {
    std::int64_t ia, ib;
    broadcast_offsets(s, o, ia, ib);
    const bool picks_a = op == BinaryOp::maximum ? a[ia] >= b[ib] : a[ia] <= b[ib];
    mask[o] = picks_a ? 1.0f : 0.0f;
  }
}

__global__ void one_hot_kernel(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
                               std::int32_t* invalid) {
  KERASCPP_GRID_STRIDE(i, n) {
    const std::int32_t label = labels[i];
    if (label < 0 || label >= depth) {
      atomicAdd(invalid, 1);
    } else {
      y[i * static_cast<std::size_t>(depth) + static_cast<std::size_t>(label)] = 1.0f;
    }
  }
}

}  // namespace

void CudaBackend::fill(float* y, std::size_t n, float value) { launch(*this, "fill", n, fill_kernel, y, n, value); }

void CudaBackend::cast(const void* x, DType from, void* y, DType to, std::size_t n) {
  if (from == to) {
    copy(y, x, n * size_of(from));
    return;
  }
  launch(*this, "cast", n, cast_kernel, x, from, y, to, n);
}

void CudaBackend::random_uniform(float* y, std::size_t n, std::uint64_t seed, float low, float high) {
  launch(*this, "random_uniform", n, uniform_kernel, y, n, seed, low, high);
}
void CudaBackend::random_normal(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) {
  launch(*this, "random_normal", n, normal_kernel, y, n, seed, mean, stddev);
}
void CudaBackend::dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) {
  const float keep_scale = 1.0f / (1.0f - rate);  // on the host, as the host backends compute it
  launch(*this, "dropout_mask", n, dropout_kernel, mask, n, seed, rate, keep_scale);
}
void CudaBackend::random_uniform_at(float* y, std::size_t n, const std::uint64_t* seed, float low, float high) {
  launch(*this, "random_uniform_at", n, uniform_at_kernel, y, n, seed, low, high);
}
void CudaBackend::random_normal_at(float* y, std::size_t n, const std::uint64_t* seed, float mean, float stddev) {
  launch(*this, "random_normal_at", n, normal_at_kernel, y, n, seed, mean, stddev);
}
void CudaBackend::dropout_mask_at(float* mask, std::size_t n, const std::uint64_t* seed, float rate) {
  const float keep_scale = 1.0f / (1.0f - rate);
  launch(*this, "dropout_mask_at", n, dropout_at_kernel, mask, n, seed, rate, keep_scale);
}

void CudaBackend::unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) {
  launch(*this, "unary", n, unary_kernel, op, p, x, y, n);
}
void CudaBackend::unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy,
                                 float* dx, std::size_t n) {
  launch(*this, "unary_backward", n, unary_backward_kernel, op, p, x, y, dy, dx, n);
}
void CudaBackend::affine(const float* x, float* y, std::size_t n, float scale, float shift) {
  launch(*this, "affine", n, affine_kernel, x, y, n, scale, shift);
}

void CudaBackend::binary(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec) {
  std::size_t total = 0;
  const Broadcast s = to_device(spec, name(), "binary", total);
  launch(*this, "binary", total, binary_kernel, op, a, b, y, s, total);
}
void CudaBackend::select_mask(BinaryOp op, const float* a, const float* b, float* mask_a, const BroadcastSpec& spec) {
  std::size_t total = 0;
  const Broadcast s = to_device(spec, name(), "select_mask", total);
  launch(*this, "select_mask", total, select_mask_kernel, op, a, b, mask_a, s, total);
}

void CudaBackend::one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
                          std::int32_t* invalid) {
  activate();
  check(cudaMemsetAsync(y, 0, n * static_cast<std::size_t>(depth) * sizeof(float), stream()), "cudaMemsetAsync", "one_hot");
  check(cudaMemsetAsync(invalid, 0, sizeof(std::int32_t), stream()), "cudaMemsetAsync", "one_hot");
  launch(*this, "one_hot", n, one_hot_kernel, labels, n, depth, y, invalid);
}

}  // namespace keras::cuda_backend
