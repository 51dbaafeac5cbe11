// Reference kernels: pooling, padding, cropping, resizing (NHWC).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../common/element_rules.hpp"
#include "reference_backend.hpp"

namespace keras::reference {

namespace {
// Calls f(output index, input indices of its window) for every pooling output and channel;
// the window is clipped to the image, so its size is the average's divisor.
template <class F>
void for_each_pool_window(const Pool2DGeometry& g, F f) {
  std::vector<std::int64_t> window;
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t h0 = oh * g.stride_h - g.pad_top, w0 = ow * g.stride_w - g.pad_left;
        for (std::int64_t c = 0; c < g.channels; ++c) {
          window.clear();
          for (std::int64_t ih = std::max<std::int64_t>(h0, 0); ih < std::min(h0 + g.pool_h, g.in_h); ++ih) {
            for (std::int64_t iw = std::max<std::int64_t>(w0, 0); iw < std::min(w0 + g.pool_w, g.in_w); ++iw) {
              window.push_back(((n * g.in_h + ih) * g.in_w + iw) * g.channels + c);
            }
          }
          f(((n * g.out_h + oh) * g.out_w + ow) * g.channels + c, window);
        }
      }
    }
  }
}
}  // namespace

void ReferenceBackend::pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x,
                                      float* y) {
  for_each_pool_window(g, [&](std::int64_t o, const std::vector<std::int64_t>& window) {
    float acc = mode == PoolMode::max ? -std::numeric_limits<float>::infinity() : 0.0f;
    for (std::int64_t i : window) {
      if (mode == PoolMode::average) {
        acc += x[i];
      } else if (element_rules::beats(x[i], acc)) {
        acc = x[i];
      }
    }
    y[o] = mode == PoolMode::max ? acc : acc / static_cast<float>(window.size());
  });
}

void ReferenceBackend::pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x,
                                       const float* y, const float* dy, float* dx) {
  std::fill(dx, dx + g.batch * g.in_h * g.in_w * g.channels, 0.0f);
  for_each_pool_window(g, [&](std::int64_t o, const std::vector<std::int64_t>& window) {
    for (std::int64_t i : window) {
      if (mode == PoolMode::average) {
        dx[i] += dy[o] / static_cast<float>(window.size());
      } else if (x[i] == y[o] || (y[o] != y[o] && x[i] != x[i])) {
        dx[i] += dy[o];  // max: the gradient goes to the first maximal (or NaN) input only
        break;
      }
    }
  });
}

void ReferenceBackend::pad2d(const float* x, float* y, std::int64_t n, std::int64_t h,
                             std::int64_t w, std::int64_t c, std::int64_t top,
                             std::int64_t bottom, std::int64_t left, std::int64_t right,
                             float value) {
  const std::int64_t oh = h + top + bottom, ow = w + left + right;
  std::fill(y, y + n * oh * ow * c, value);
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t i = 0; i < h; ++i) {
      std::copy_n(x + (b * h + i) * w * c, w * c, y + ((b * oh + i + top) * ow + left) * c);
    }
  }
}

void ReferenceBackend::crop2d(const float* x, float* y, std::int64_t n, std::int64_t h,
                              std::int64_t w, std::int64_t c, std::int64_t top,
                              std::int64_t bottom, std::int64_t left, std::int64_t right) {
  const std::int64_t oh = h - top - bottom, ow = w - left - right;
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t i = 0; i < oh; ++i) {
      std::copy_n(x + ((b * h + i + top) * w + left) * c, ow * c, y + (b * oh + i) * ow * c);
    }
  }
}

namespace {
// One output coordinate's source: TensorFlow's half-pixel centres, as tf.image.resize.
struct Source {
  std::int64_t low, high;
  float lerp;
};
Source bilinear_source(std::int64_t out, std::int64_t in_size, std::int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const float in = (static_cast<float>(out) + 0.5f) * scale - 0.5f;
  const float floor_in = std::floor(in);
  return {std::max<std::int64_t>(static_cast<std::int64_t>(floor_in), 0),
          std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(in)), in_size - 1),
          in - floor_in};
}
std::int64_t nearest_source(std::int64_t out, std::int64_t in_size, std::int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const auto in = static_cast<std::int64_t>(std::floor((static_cast<float>(out) + 0.5f) * scale));
  return std::clamp<std::int64_t>(in, 0, in_size - 1);
}

// Calls f(input index, output index, weight) for every contribution of a resize.
template <class F>
void for_each_resize_term(Interpolation mode, std::int64_t n, std::int64_t h, std::int64_t w,
                          std::int64_t c, std::int64_t out_h, std::int64_t out_w, F f) {
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t oy = 0; oy < out_h; ++oy) {
      for (std::int64_t ox = 0; ox < out_w; ++ox) {
        const std::int64_t out_base = ((b * out_h + oy) * out_w + ox) * c;
        auto in_base = [&](std::int64_t iy, std::int64_t ix) { return ((b * h + iy) * w + ix) * c; };
        if (mode == Interpolation::nearest) {
          const std::int64_t base = in_base(nearest_source(oy, h, out_h), nearest_source(ox, w, out_w));
          for (std::int64_t ch = 0; ch < c; ++ch) f(base + ch, out_base + ch, 1.0f);
          continue;
        }
        const Source sy = bilinear_source(oy, h, out_h), sx = bilinear_source(ox, w, out_w);
        const std::int64_t corners[4] = {in_base(sy.low, sx.low), in_base(sy.low, sx.high),
                                         in_base(sy.high, sx.low), in_base(sy.high, sx.high)};
        const float weights[4] = {(1 - sy.lerp) * (1 - sx.lerp), (1 - sy.lerp) * sx.lerp,
                                  sy.lerp * (1 - sx.lerp), sy.lerp * sx.lerp};
        for (int k = 0; k < 4; ++k) {
          for (std::int64_t ch = 0; ch < c; ++ch) f(corners[k] + ch, out_base + ch, weights[k]);
        }
      }
    }
  }
}
}  // namespace

void ReferenceBackend::resize2d_forward(Interpolation mode, const float* x, std::int64_t n,
                                        std::int64_t h, std::int64_t w, std::int64_t c, float* y,
                                        std::int64_t out_h, std::int64_t out_w) {
  std::fill(y, y + n * out_h * out_w * c, 0.0f);
  for_each_resize_term(mode, n, h, w, c, out_h, out_w,
                       [&](std::int64_t i, std::int64_t o, float wt) { y[o] += wt * x[i]; });
}

void ReferenceBackend::resize2d_backward(Interpolation mode, const float* dy, std::int64_t n,
                                         std::int64_t h, std::int64_t w, std::int64_t c,
                                         float* dx, std::int64_t out_h, std::int64_t out_w) {
  std::fill(dx, dx + n * h * w * c, 0.0f);
  for_each_resize_term(mode, n, h, w, c, out_h, out_w,
                       [&](std::int64_t i, std::int64_t o, float wt) { dx[i] += wt * dy[o]; });
}

}  // namespace keras::reference
