// The CUDA backend's memory-layout kernels: pooling, padding, cropping, resizing (NHWC),
// row copies and gathers, axis permutations. Each forward output is computed by one thread in
// the reference's order of terms; backward passes that scatter into shared inputs use
// float atomics, so their sums agree with the reference's to rounding.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../common/element_rules.hpp"
#include "keras/core/errors.hpp"
#include "launch.cuh"
#include "nhwc_copies.cuh"

namespace keras::cuda_backend {

namespace rules = element_rules;

namespace {

struct Window {
  std::int64_t h_begin, h_end, w_begin, w_end;
};
// Output o's window clipped to the image (its size is the average's divisor), and its base.
__device__ Window pool_window(const Pool2DGeometry& g, std::int64_t o, std::int64_t& n, std::int64_t& c) {
  c = o % g.channels;
  std::int64_t rest = o / g.channels;
  const std::int64_t ow = rest % g.out_w;
  rest /= g.out_w;
  const std::int64_t oh = rest % g.out_h;
  n = rest / g.out_h;
  const std::int64_t h0 = oh * g.stride_h - g.pad_top, w0 = ow * g.stride_w - g.pad_left;
  return {h0 > 0 ? h0 : 0, h0 + g.pool_h < g.in_h ? h0 + g.pool_h : g.in_h, w0 > 0 ? w0 : 0,
          w0 + g.pool_w < g.in_w ? w0 + g.pool_w : g.in_w};
}

__global__ void pool_forward_kernel(PoolMode mode, Pool2DGeometry g, const float* x, float* y, std::size_t total) {
  KERASCPP_GRID_STRIDE(o, total) {
    std::int64_t n, c;
    const Window win = pool_window(g, static_cast<std::int64_t>(o), n, c);
    float acc = mode == PoolMode::max ? -INFINITY : 0.0f;
    for (std::int64_t ih = win.h_begin; ih < win.h_end; ++ih) {
      for (std::int64_t iw = win.w_begin; iw < win.w_end; ++iw) {
        const float v = x[((n * g.in_h + ih) * g.in_w + iw) * g.channels + c];
        if (mode == PoolMode::average) {
          acc += v;
        } else if (rules::beats(v, acc)) {
          acc = v;
        }
      }
    }
    const auto count = static_cast<float>((win.h_end - win.h_begin) * (win.w_end - win.w_begin));
    y[o] = mode == PoolMode::max ? acc : acc / count;
  }
}

__global__ void pool_backward_kernel(PoolMode mode, Pool2DGeometry g, const float* x, const float* y, const float* dy,
                                     float* dx, std::size_t total) {
  KERASCPP_GRID_STRIDE(o, total) {
    std::int64_t n, c;
    const Window win = pool_window(g, static_cast<std::int64_t>(o), n, c);
    const auto count = static_cast<float>((win.h_end - win.h_begin) * (win.w_end - win.w_begin));
    bool done = false;
    for (std::int64_t ih = win.h_begin; ih < win.h_end && !done; ++ih) {
      for (std::int64_t iw = win.w_begin; iw < win.w_end; ++iw) {
        const std::int64_t i = ((n * g.in_h + ih) * g.in_w + iw) * g.channels + c;
        if (mode == PoolMode::average) {
          atomicAdd(dx + i, dy[o] / count);
        } else if (x[i] == y[o] || (y[o] != y[o] && x[i] != x[i])) {
          atomicAdd(dx + i, dy[o]);  // max: the first maximal (or NaN) input only
          done = true;
          break;
        }
      }
    }
  }
}

// TensorFlow's half-pixel centres, in the reference's float arithmetic.
struct Source {
  std::int64_t low, high;
  float lerp;
};
__device__ Source bilinear_source(std::int64_t out, std::int64_t in_size, std::int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const float in = (static_cast<float>(out) + 0.5f) * scale - 0.5f;
  const float floor_in = floorf(in);
  const auto low = static_cast<std::int64_t>(floor_in);
  const auto high = static_cast<std::int64_t>(ceilf(in));
  return {low > 0 ? low : 0, high < in_size - 1 ? high : in_size - 1, in - floor_in};
}
__device__ std::int64_t nearest_source(std::int64_t out, std::int64_t in_size, std::int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const auto in = static_cast<std::int64_t>(floorf((static_cast<float>(out) + 0.5f) * scale));
  return in < 0 ? 0 : (in > in_size - 1 ? in_size - 1 : in);
}

// Output element e's terms: up to four (input index, weight) pairs, in the reference's order.
__device__ int resize_terms(Interpolation mode, std::size_t e, std::int64_t h, std::int64_t w, std::int64_t c,
                            std::int64_t out_h, std::int64_t out_w, std::int64_t* index, float* weight) {
  const std::int64_t ch = static_cast<std::int64_t>(e) % c;
  std::int64_t rest = static_cast<std::int64_t>(e) / c;
  const std::int64_t ox = rest % out_w;
  rest /= out_w;
  const std::int64_t oy = rest % out_h, b = rest / out_h;
  auto at = [&](std::int64_t iy, std::int64_t ix) { return ((b * h + iy) * w + ix) * c + ch; };
  if (mode == Interpolation::nearest) {
    index[0] = at(nearest_source(oy, h, out_h), nearest_source(ox, w, out_w));
    weight[0] = 1.0f;
    return 1;
  }
  const Source sy = bilinear_source(oy, h, out_h), sx = bilinear_source(ox, w, out_w);
  index[0] = at(sy.low, sx.low), index[1] = at(sy.low, sx.high);
  index[2] = at(sy.high, sx.low), index[3] = at(sy.high, sx.high);
  weight[0] = (1 - sy.lerp) * (1 - sx.lerp), weight[1] = (1 - sy.lerp) * sx.lerp;
  weight[2] = sy.lerp * (1 - sx.lerp), weight[3] = sy.lerp * sx.lerp;
  return 4;
}

__global__ void resize_forward_kernel(Interpolation mode, const float* x, std::int64_t h, std::int64_t w,
                                      std::int64_t c, float* y, std::int64_t out_h, std::int64_t out_w,
                                      std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    std::int64_t index[4];
    float weight[4];
    const int terms = resize_terms(mode, e, h, w, c, out_h, out_w, index, weight);
    float acc = 0.0f;
    for (int k = 0; k < terms; ++k) acc += weight[k] * x[index[k]];
    y[e] = acc;
  }
}

__global__ void resize_backward_kernel(Interpolation mode, const float* dy, std::int64_t h, std::int64_t w,
                                       std::int64_t c, float* dx, std::int64_t out_h, std::int64_t out_w,
                                       std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    std::int64_t index[4];
    float weight[4];
    const int terms = resize_terms(mode, e, h, w, c, out_h, out_w, index, weight);
    for (int k = 0; k < terms; ++k) atomicAdd(dx + index[k], weight[k] * dy[e]);
  }
}

__global__ void copy_rows_kernel(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
                                 std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t len, bool accumulate,
                                 std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    const std::int64_t r = static_cast<std::int64_t>(e) / len, j = static_cast<std::int64_t>(e) % len;
    float& d = dst[r * dst_stride + dst_offset + j];
    const float s = src[r * src_stride + src_offset + j];
    d = accumulate ? d + s : s;
  }
}

// Row i of dst = row rows[i] of src, in units of T (the widest that divides the row).
template <class T>
__global__ void gather_rows_kernel(const T* src, std::size_t row_units, const std::int64_t* rows, T* dst,
                                   std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    const std::size_t i = e / row_units, j = e % row_units;
    dst[e] = src[static_cast<std::size_t>(rows[i]) * row_units + j];
  }
}

constexpr int kMaxRank = 8;
struct Permutation {
  int rank = 0;
  std::int64_t out_dims[kMaxRank] = {};
  std::int64_t in_strides[kMaxRank] = {};  // x's stride of the axis that is y's axis k
};

template <class T>
__global__ void transpose_kernel(const T* x, T* y, Permutation p, std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    std::size_t rest = e;
    std::int64_t source = 0;
    for (int k = p.rank - 1; k >= 0; --k) {
      const auto dim = static_cast<std::size_t>(p.out_dims[k]);
      source += static_cast<std::int64_t>(rest % dim) * p.in_strides[k];
      rest /= dim;
    }
    y[e] = x[source];
  }
}


}  // namespace

void CudaBackend::pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x, float* y) {
  const auto total = static_cast<std::size_t>(g.batch * g.out_h * g.out_w * g.channels);
  launch(*this, "pool2d_forward", total, pool_forward_kernel, mode, g, x, y, total);
}

void CudaBackend::pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x, const float* y,
                                  const float* dy, float* dx) {
  activate();
  check(cudaMemsetAsync(dx, 0, static_cast<std::size_t>(g.batch * g.in_h * g.in_w * g.channels) * sizeof(float), stream()),
        "cudaMemsetAsync", "pool2d_backward");
  const auto total = static_cast<std::size_t>(g.batch * g.out_h * g.out_w * g.channels);
  launch(*this, "pool2d_backward", total, pool_backward_kernel, mode, g, x, y, dy, dx, total);
}

void CudaBackend::pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c,
                        std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right, float value) {
  const std::int64_t oh = h + top + bottom, ow = w + left + right;
  const auto total = static_cast<std::size_t>(n * oh * ow * c);
  launch(*this, "pad2d", total, pad_kernel<float>, x, y, h, w, c, top, left, oh, ow, value, total);
}

void CudaBackend::crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c,
                         std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) {
  const std::int64_t oh = h - top - bottom, ow = w - left - right;
  const auto total = static_cast<std::size_t>(n * oh * ow * c);
  launch(*this, "crop2d", total, crop_kernel<float>, x, y, h, w, c, top, left, oh, ow, total);
}

void CudaBackend::resize2d_forward(Interpolation mode, const float* x, std::int64_t n, std::int64_t h, std::int64_t w,
                                   std::int64_t c, float* y, std::int64_t out_h, std::int64_t out_w) {
  const auto total = static_cast<std::size_t>(n * out_h * out_w * c);
  launch(*this, "resize2d_forward", total, resize_forward_kernel, mode, x, h, w, c, y, out_h, out_w, total);
}

void CudaBackend::resize2d_backward(Interpolation mode, const float* dy, std::int64_t n, std::int64_t h,
                                    std::int64_t w, std::int64_t c, float* dx, std::int64_t out_h, std::int64_t out_w) {
  activate();
  check(cudaMemsetAsync(dx, 0, static_cast<std::size_t>(n * h * w * c) * sizeof(float), stream()), "cudaMemsetAsync",
        "resize2d_backward");
  const auto total = static_cast<std::size_t>(n * out_h * out_w * c);
  launch(*this, "resize2d_backward", total, resize_backward_kernel, mode, dy, h, w, c, dx, out_h, out_w, total);
}

void CudaBackend::copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
                            std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t rows, std::int64_t len,
                            bool accumulate) {
  const auto total = static_cast<std::size_t>(rows * len);
  launch(*this, "copy_rows", total, copy_rows_kernel, src, src_stride, src_offset, dst, dst_stride, dst_offset, len,
         accumulate, total);
}

void CudaBackend::gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows, std::size_t count,
                              void* dst) {
  if (count == 0 || row_bytes == 0) return;
  // The row numbers are host memory, consumed now: uploaded (staged) in queue order.
  Scratch device_rows(*this, count * sizeof(std::int64_t));
  copy_from_host(device_rows.get(), rows, count * sizeof(std::int64_t));
  const auto aligned = [&](std::size_t unit) {
    return row_bytes % unit == 0 && reinterpret_cast<std::uintptr_t>(src) % unit == 0 &&
           reinterpret_cast<std::uintptr_t>(dst) % unit == 0;
  };
  const auto* r = device_rows.as<const std::int64_t>();
  if (aligned(16)) {
    launch(*this, "gather_rows", count * (row_bytes / 16), gather_rows_kernel<uint4>, static_cast<const uint4*>(src),
           row_bytes / 16, r, static_cast<uint4*>(dst), count * (row_bytes / 16));
  } else if (aligned(4)) {
    launch(*this, "gather_rows", count * (row_bytes / 4), gather_rows_kernel<std::uint32_t>,
           static_cast<const std::uint32_t*>(src), row_bytes / 4, r, static_cast<std::uint32_t*>(dst),
           count * (row_bytes / 4));
  } else {
    launch(*this, "gather_rows", count * row_bytes, gather_rows_kernel<std::uint8_t>, static_cast<const std::uint8_t*>(src),
           row_bytes, r, static_cast<std::uint8_t*>(dst), count * row_bytes);
  }
}

void CudaBackend::transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                            const std::vector<int>& perm) {
  const int rank = static_cast<int>(dims.size());
  if (rank > kMaxRank || static_cast<int>(perm.size()) != rank) {
    throw BackendError(name() + ": transpose of " + std::to_string(rank) + " axes with a permutation of " +
                       std::to_string(perm.size()) + "; the cuda backend permutes up to " + std::to_string(kMaxRank) +
                       " axes, with one entry per axis");
  }
  Permutation p;
  p.rank = rank;
  std::vector<std::int64_t> strides(rank, 1);
  for (int k = rank - 2; k >= 0; --k) strides[k] = strides[k + 1] * dims[k + 1];
  std::size_t total = 1;
  for (int k = 0; k < rank; ++k) {
    p.out_dims[k] = dims[perm[k]];
    p.in_strides[k] = strides[perm[k]];
    total *= static_cast<std::size_t>(dims[k]);
  }
  switch (elem_bytes) {
    case 1: launch(*this, "transpose", total, transpose_kernel<std::uint8_t>, static_cast<const std::uint8_t*>(x), static_cast<std::uint8_t*>(y), p, total); break;
    case 2: launch(*this, "transpose", total, transpose_kernel<std::uint16_t>, static_cast<const std::uint16_t*>(x), static_cast<std::uint16_t*>(y), p, total); break;
    case 4: launch(*this, "transpose", total, transpose_kernel<std::uint32_t>, static_cast<const std::uint32_t*>(x), static_cast<std::uint32_t*>(y), p, total); break;
    case 8: launch(*this, "transpose", total, transpose_kernel<std::uint64_t>, static_cast<const std::uint64_t*>(x), static_cast<std::uint64_t*>(y), p, total); break;
    default: {
      // Any other element size: permute byte by byte, as an extra innermost axis of elem_bytes.
      std::vector<std::int64_t> byte_dims = dims;
      byte_dims.push_back(static_cast<std::int64_t>(elem_bytes));
      std::vector<int> byte_perm = perm;
      byte_perm.push_back(rank);
      transpose(x, y, 1, byte_dims, byte_perm);
    }
  }
}

}  // namespace keras::cuda_backend
