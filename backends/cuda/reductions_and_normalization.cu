// The CUDA backend's reductions: sums and maxima over the middle axis of an (outer, mid,
// inner) view, softmax rows, batch normalization. Sums accumulate in double, as the reference
// backend does, so the two agree to float32 rounding whatever the order (column_sums.cuh).
#include <cmath>
#include <cstdint>

#include "../common/element_rules.hpp"
#include "column_sums.cuh"
#include "launch.cuh"

namespace keras::cuda_backend {

namespace rules = element_rules;

namespace {

// A block reduces a tile of up to 32 adjacent inner positions (threadIdx.x, coalesced) over
// the whole middle axis, threadIdx.y taking every blockDim.y-th row. Tiles are numbered
// (outer, inner tile) and the grid strides over them, so no grid dimension limit applies.
struct Tile {
  dim3 block;
  unsigned grid;
  std::int64_t tiles_per_outer, count;
};
Tile tile_for(std::int64_t outer, std::int64_t inner) {
  unsigned tx = 1;
  while (tx < 32 && static_cast<std::int64_t>(tx) < inner) tx *= 2;
  const unsigned ty = 256 / tx;
  const std::int64_t per_outer = (inner + tx - 1) / tx, count = per_outer * outer;
  return {dim3(tx, ty), static_cast<unsigned>(std::min<std::int64_t>(count, 1 << 16)), per_outer, count};
}

// The reference's running maximum, whatever order the candidates meet in: a NaN beats any
// number, and between equals (or two NaNs) the smaller index wins.
__device__ bool takes(float v, std::int64_t m, float best, std::int64_t best_m) {
  if (rules::beats(v, best)) return true;
  if (rules::beats(best, v)) return false;
  return m < best_m;
}

__global__ void reduce_max_kernel(const float* x, float* y, std::int32_t* argmax, std::int64_t mid, std::int64_t inner,
                                  std::int64_t tiles_per_outer, std::int64_t tiles) {
  extern __shared__ unsigned char shared[];
  const unsigned slots = blockDim.x * blockDim.y;
  float* values = reinterpret_cast<float*>(shared);
  std::int64_t* indices = reinterpret_cast<std::int64_t*>(values + slots + slots % 2);
  const unsigned slot = threadIdx.y * blockDim.x + threadIdx.x;
  for (std::int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const std::int64_t o = t / tiles_per_outer, i = (t % tiles_per_outer) * blockDim.x + threadIdx.x;
    float best = 0.0f;
    std::int64_t best_m = mid;  // "none yet"
    if (i < inner) {
      for (std::int64_t m = threadIdx.y; m < mid; m += blockDim.y) {
        const float v = x[(o * mid + m) * inner + i];
        if (best_m == mid || takes(v, m, best, best_m)) best = v, best_m = m;
      }
    }
    values[slot] = best, indices[slot] = best_m;
    __syncthreads();
    for (unsigned half = blockDim.y / 2; half > 0; half /= 2) {
      if (threadIdx.y < half) {
        const unsigned other = slot + half * blockDim.x;
        if (indices[other] != mid &&
            (indices[slot] == mid || takes(values[other], indices[other], values[slot], indices[slot]))) {
          values[slot] = values[other], indices[slot] = indices[other];
        }
      }
      __syncthreads();
    }
    if (threadIdx.y == 0 && i < inner) {
      y[o * inner + i] = values[threadIdx.x];
      if (argmax) argmax[o * inner + i] = static_cast<std::int32_t>(indices[threadIdx.x]);
    }
    __syncthreads();
  }
}

__global__ void expand_mid_kernel(const float* x, float* y, std::int64_t mid, std::int64_t inner, float scale, std::size_t n) {
  KERASCPP_GRID_STRIDE(e, n) {
    const std::int64_t i = static_cast<std::int64_t>(e) % inner, o = static_cast<std::int64_t>(e) / (mid * inner);
    y[e] = scale * x[o * inner + i];
  }
}

__global__ void scatter_argmax_kernel(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t mid,
                                      std::int64_t inner, std::size_t n) {
  KERASCPP_GRID_STRIDE(e, n) {
    const std::int64_t i = static_cast<std::int64_t>(e) % inner, o = static_cast<std::int64_t>(e) / inner;
    dx[(o * mid + argmax[e]) * inner + i] = dy[e];
  }
}

// One block per row: the row's maximum (NaN wins), then the sum of exponentials in double.
constexpr unsigned kRowThreads = 256;

__device__ double block_sum(double v, double* scratch) {
  scratch[threadIdx.x] = v;
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
    __syncthreads();
  }
  const double total = scratch[0];
  __syncthreads();
  return total;
}

__global__ void softmax_kernel(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log) {
  __shared__ double scratch[kRowThreads];
  __shared__ float tops[kRowThreads];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    float top = xr[0];
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) top = rules::maximum(top, xr[j]);
    tops[threadIdx.x] = top;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) tops[threadIdx.x] = rules::maximum(tops[threadIdx.x], tops[threadIdx.x + half]);
      __syncthreads();
    }
    top = tops[0];
    double local = 0.0;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) local += exp(static_cast<double>(xr[j] - top));
    const double total = block_sum(local, scratch);
    const double log_total = ::log(total);
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const double shifted = static_cast<double>(xr[j] - top);
      y[r * cols + j] = static_cast<float>(log ? shifted - log_total : exp(shifted) / total);
    }
    __syncthreads();
  }
}

__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, std::int64_t rows, std::int64_t cols,
                                        bool log) {
  __shared__ double scratch[kRowThreads];
  for (std::int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    double local = 0.0;
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) local += log ? dyr[j] : dyr[j] * yr[j];
    const double s = block_sum(local, scratch);
    for (std::int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      dx[r * cols + j] = log ? static_cast<float>(dyr[j] - expf(yr[j]) * s) : static_cast<float>(yr[j] * (dyr[j] - s));
    }
  }
}

// reduce_sum's terms: row m of column (o, i) of an (outer, mid, inner) view.
struct MidTerm {
  const float* x;
  std::int64_t mid, inner;
  __device__ double2 operator()(std::int64_t m, std::int64_t col) const {
    const std::int64_t o = col / inner, i = col % inner;
    return make_double2(x[(o * mid + m) * inner + i], 0.0);
  }
};
struct StoreSum {
  float* y;
  __device__ void operator()(std::int64_t c, double2 total) const { y[c] = static_cast<float>(total.x); }
};

// Batch normalization's per-channel statistics over a (rows, channels) view, as the reference
// computes them: the mean in double rounded to float32, then the biased variance around it.
struct ValueTerm {
  const float* x;
  std::int64_t channels;
  __device__ double2 operator()(std::int64_t r, std::int64_t c) const { return make_double2(x[r * channels + c], 0.0); }
};
struct SquaredDeviationTerm {
  const float* x;
  const float* mean;
  std::int64_t channels;
  __device__ double2 operator()(std::int64_t r, std::int64_t c) const {
    const double d = x[r * channels + c] - static_cast<double>(mean[c]);
    return make_double2(d * d, 0.0);
  }
};
struct StoreMeanOf {
  float* out;
  std::int64_t rows;
  __device__ void operator()(std::int64_t c, double2 total) const { out[c] = static_cast<float>(total.x / rows); }
};

// The backward pass's sums: dy and dy * xhat.
struct BackwardTerm {
  const float* dy;
  const float* x;
  const float* mean;
  const float* variance;
  std::int64_t channels;
  float epsilon;
  __device__ double2 operator()(std::int64_t r, std::int64_t c) const {
    const double inv_std = 1.0 / sqrt(static_cast<double>(variance[c]) + epsilon);
    const double xhat = (x[r * channels + c] - static_cast<double>(mean[c])) * inv_std;
    return make_double2(dy[r * channels + c], dy[r * channels + c] * xhat);
  }
};
struct StoreBackwardSums {
  double* sums;  // sum dy per channel, then sum dy * xhat
  float* dgamma;
  float* dbeta;
  std::int64_t channels;
  __device__ void operator()(std::int64_t c, double2 total) const {
    sums[c] = total.x;
    sums[channels + c] = total.y;
    if (dbeta) dbeta[c] = static_cast<float>(total.x);
    if (dgamma) dgamma[c] = static_cast<float>(total.y);
  }
};

__global__ void batch_norm_apply_kernel(const float* x, const float* gamma, const float* beta, const float* mean,
                                        const float* variance, std::int64_t channels, float epsilon, float* y,
                                        std::size_t n) {
  KERASCPP_GRID_STRIDE(e, n) {
    const std::int64_t c = static_cast<std::int64_t>(e) % channels;
    const float inv_std = 1.0f / sqrtf(variance[c] + epsilon);
    const float scale = (gamma ? gamma[c] : 1.0f) * inv_std;
    const float shift = (beta ? beta[c] : 0.0f) - mean[c] * scale;
    y[e] = x[e] * scale + shift;
  }
}

__global__ void batch_norm_backward_dx_kernel(const float* dy, const float* x, const float* gamma, const float* mean,
                                              const float* variance, std::int64_t rows, std::int64_t channels,
                                              float epsilon, const double* sums, float* dx, std::size_t n) {
  KERASCPP_GRID_STRIDE(e, n) {
    const std::int64_t c = static_cast<std::int64_t>(e) % channels;
    const double inv_std = 1.0 / sqrt(static_cast<double>(variance[c]) + epsilon);
    const double xhat = (x[e] - static_cast<double>(mean[c])) * inv_std;
    const double k = (gamma ? gamma[c] : 1.0f) * inv_std / static_cast<double>(rows);
    dx[e] = static_cast<float>(k * (rows * static_cast<double>(dy[e]) - sums[c] - xhat * sums[channels + c]));
  }
}

unsigned row_blocks(std::int64_t rows) { return static_cast<unsigned>(std::min<std::int64_t>(rows, 65535)); }

}  // namespace

void CudaBackend::reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner) {
  column_sums(*this, "reduce_sum", mid, outer * inner, MidTerm{x, mid, inner}, StoreSum{y});
}

void CudaBackend::reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer, std::int64_t mid,
                             std::int64_t inner) {
  if (outer * inner == 0) return;
  activate();
  note_kernel("reduce_max");
  const Tile t = tile_for(outer, inner);
  const std::size_t slots = t.block.x * t.block.y;
  const std::size_t shared = (slots + slots % 2) * sizeof(float) + slots * sizeof(std::int64_t);
  reduce_max_kernel<<<t.grid, t.block, shared, stream()>>>(x, y, argmax, mid, inner, t.tiles_per_outer, t.count);
  check_launch("reduce_max");
}

void CudaBackend::expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner,
                             float scale) {
  const auto n = static_cast<std::size_t>(outer * mid * inner);
  launch(*this, "expand_mid", n, expand_mid_kernel, x, y, mid, inner, scale, n);
}

void CudaBackend::scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t outer,
                                 std::int64_t mid, std::int64_t inner) {
  activate();
  check(cudaMemsetAsync(dx, 0, static_cast<std::size_t>(outer * mid * inner) * sizeof(float), stream()),
        "cudaMemsetAsync", "scatter_argmax");
  const auto n = static_cast<std::size_t>(outer * inner);
  launch(*this, "scatter_argmax", n, scatter_argmax_kernel, dy, argmax, dx, mid, inner, n);
}

void CudaBackend::softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log) {
  if (rows * cols == 0) return;
  activate();
  note_kernel("softmax_forward");
  softmax_kernel<<<row_blocks(rows), kRowThreads, 0, stream()>>>(x, y, rows, cols, log);
  check_launch("softmax_forward");
}

void CudaBackend::softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows, std::int64_t cols,
                                   bool log) {
  if (rows * cols == 0) return;
  activate();
  note_kernel("softmax_backward");
  softmax_backward_kernel<<<row_blocks(rows), kRowThreads, 0, stream()>>>(y, dy, dx, rows, cols, log);
  check_launch("softmax_backward");
}

void CudaBackend::batch_norm_training(const float* x, const float* gamma, const float* beta, std::int64_t rows,
                                      std::int64_t channels, float epsilon, float* y, float* mean, float* variance) {
  column_sums(*this, "batch_norm_training", rows, channels, ValueTerm{x, channels}, StoreMeanOf{mean, rows});
  column_sums(*this, "batch_norm_training", rows, channels, SquaredDeviationTerm{x, mean, channels},
              StoreMeanOf{variance, rows});
  batch_norm_inference(x, gamma, beta, mean, variance, rows, channels, epsilon, y);
}

void CudaBackend::batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                                       const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                                       float* y) {
  const auto n = static_cast<std::size_t>(rows * channels);
  launch(*this, "batch_norm_inference", n, batch_norm_apply_kernel, x, gamma, beta, mean, variance, channels, epsilon, y, n);
}

void CudaBackend::batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                      const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                                      float* dx, float* dgamma, float* dbeta) {
  if (channels == 0) return;
  Scratch sums(*this, 2 * static_cast<std::size_t>(channels) * sizeof(double));
  column_sums(*this, "batch_norm_backward", rows, channels, BackwardTerm{dy, x, mean, variance, channels, epsilon},
              StoreBackwardSums{sums.as<double>(), dgamma, dbeta, channels});
  const auto n = static_cast<std::size_t>(rows * channels);
  launch(*this, "batch_norm_backward", n, batch_norm_backward_dx_kernel, dy, x, gamma, mean, variance, rows, channels,
         epsilon, sums.as<const double>(), dx, n);
}

}  // namespace keras::cuda_backend
