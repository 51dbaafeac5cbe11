#pragma once
// Padding and cropping of NHWC tensors, for elements of any type T: pad2d and crop2d (float32),
// and the convolutions' explicit padding of 2- and 4-byte storage.
#include <cstdint>

#include "launch.cuh"

namespace keras::cuda_backend {

// y (n, oh, ow, c) = x (n, h, w, c) placed at (top, left), `value` elsewhere.
template <class T>
__global__ void pad_kernel(const T* x, T* y, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t top,
                           std::int64_t left, std::int64_t oh, std::int64_t ow, T value, std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    const std::int64_t ch = static_cast<std::int64_t>(e) % c;
    std::int64_t rest = static_cast<std::int64_t>(e) / c;
    const std::int64_t ox = rest % ow;
    rest /= ow;
    const std::int64_t oy = rest % oh, b = rest / oh;
    const std::int64_t iy = oy - top, ix = ox - left;
    y[e] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x[((b * h + iy) * w + ix) * c + ch] : value;
  }
}

// y (n, oh, ow, c) = the window of x (n, h, w, c) at (top, left).
template <class T>
__global__ void crop_kernel(const T* x, T* y, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t top,
                            std::int64_t left, std::int64_t oh, std::int64_t ow, std::size_t total) {
  KERASCPP_GRID_STRIDE(e, total) {
    const std::int64_t ch = static_cast<std::int64_t>(e) % c;
    std::int64_t rest = static_cast<std::int64_t>(e) / c;
    const std::int64_t ox = rest % ow;
    rest /= ow;
    const std::int64_t oy = rest % oh, b = rest / oh;
    y[e] = x[((b * h + oy + top) * w + ox + left) * c + ch];
  }
}

}  // namespace keras::cuda_backend
