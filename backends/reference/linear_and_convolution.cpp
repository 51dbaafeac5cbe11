// Reference kernels: matrix products and 2-D convolutions (NHWC input, HWIO kernel). Loops
// are ordered so the innermost one runs over contiguous output channels.
#include <algorithm>
#include <vector>

#include "../common/element_rules.hpp"
#include "reference_backend.hpp"

namespace keras::reference {

namespace {
// 16-bit storage as the oracle computes with it: operands widened exactly to float32 (products
// of two bfloat16 or float16 values are exact in float32), float32 sums, each result rounded
// once into the storage type.
std::vector<float> widened(Backend& be, const void* x, DType dtype, std::int64_t n) {
  std::vector<float> r(static_cast<std::size_t>(n));
  if (x) be.cast(x, dtype, r.data(), DType::float32, r.size());
  return r;
}
void narrow(Backend& be, const std::vector<float>& x, void* y, DType dtype) {
  be.cast(x.data(), DType::float32, y, dtype, x.size());
}
}  // namespace

void ReferenceBackend::gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n,
                            std::int64_t k, float alpha, const void* a_in, const void* b_in,
                            float beta, void* c_in, DType dtype) {
  if (dtype != DType::float32) {
    const auto a = widened(*this, a_in, dtype, m * k), b = widened(*this, b_in, dtype, k * n);
    auto c = beta == 0.0f ? std::vector<float>(static_cast<std::size_t>(m * n)) : widened(*this, c_in, dtype, m * n);
    gemm(transpose_a, transpose_b, m, n, k, alpha, a.data(), b.data(), beta, c.data(), DType::float32);
    narrow(*this, c, c_in, dtype);
    return;
  }
  const auto* a = static_cast<const float*>(a_in);
  const auto* b = static_cast<const float*>(b_in);
  auto* c = static_cast<float*>(c_in);
  for (std::int64_t i = 0; i < m; ++i) {
    float* crow = c + i * n;
    // beta == 0 overwrites, so garbage (even NaN) in c does not leak into the result.
    for (std::int64_t j = 0; j < n; ++j) crow[j] = beta == 0.0f ? 0.0f : beta * crow[j];
    if (transpose_b) {
      for (std::int64_t j = 0; j < n; ++j) {
        float acc = 0.0f;
        for (std::int64_t p = 0; p < k; ++p) {
          acc += (transpose_a ? a[p * m + i] : a[i * k + p]) * b[j * k + p];
        }
        crow[j] += alpha * acc;
      }
    } else {
      for (std::int64_t p = 0; p < k; ++p) {
        const float aip = alpha * (transpose_a ? a[p * m + i] : a[i * k + p]);
        const float* brow = b + p * n;
        for (std::int64_t j = 0; j < n; ++j) crow[j] += aip * brow[j];
      }
    }
  }
}

void ReferenceBackend::bias_add(const float* x, const float* bias, float* y, std::int64_t rows,
                                std::int64_t cols, FusedActivation act) {
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const float v = x[r * cols + j] + bias[j];
      y[r * cols + j] = act == FusedActivation::relu ? element_rules::fused_relu(v) : v;
    }
  }
}

namespace {
// Calls f(output pixel, input pixel, kernel tap) for every pair a convolution connects.
template <class F>
void for_each_tap(const Conv2DGeometry& g, F f) {
  for (std::int64_t n = 0; n < g.batch; ++n) {
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t out_pixel = (n * g.out_h + oh) * g.out_w + ow;
        for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const std::int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
          if (ih < 0 || ih >= g.in_h) continue;
          for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const std::int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
            if (iw < 0 || iw >= g.in_w) continue;
            f(out_pixel, (n * g.in_h + ih) * g.in_w + iw, kh * g.kernel_w + kw);
          }
        }
      }
    }
  }
}
}  // namespace

namespace {
std::int64_t input_size(const Conv2DGeometry& g) { return g.batch * g.in_h * g.in_w * g.in_c; }
std::int64_t output_size(const Conv2DGeometry& g) { return g.batch * g.out_h * g.out_w * g.out_c; }
std::int64_t kernel_size(const Conv2DGeometry& g) {
  return g.kernel_h * g.kernel_w * (g.in_c / g.groups) * g.out_c;
}
// The same geometry on float32 operands.
Conv2DGeometry as_float32(Conv2DGeometry g) {
  g.dtype = DType::float32;
  return g;
}
}  // namespace

void ReferenceBackend::conv2d_forward(const Conv2DGeometry& g, const void* x_in, const void* w_in,
                                      const void* bias_in, FusedActivation act, void* y_in) {
  if (g.dtype != DType::float32) {
    const auto x = widened(*this, x_in, g.dtype, input_size(g)), w = widened(*this, w_in, g.dtype, kernel_size(g));
    const auto bias = widened(*this, bias_in, g.dtype, bias_in ? g.out_c : 0);
    std::vector<float> y(static_cast<std::size_t>(output_size(g)));
    conv2d_forward(as_float32(g), x.data(), w.data(), bias_in ? bias.data() : nullptr, act, y.data());
    narrow(*this, y, y_in, g.dtype);
    return;
  }
  const auto* x = static_cast<const float*>(x_in);
  const auto* w = static_cast<const float*>(w_in);
  const auto* bias = static_cast<const float*>(bias_in);
  auto* y = static_cast<float*>(y_in);
  const std::int64_t cin_g = g.in_c / g.groups, cout_g = g.out_c / g.groups;
  const std::int64_t pixels = g.batch * g.out_h * g.out_w;
  for (std::int64_t p = 0; p < pixels; ++p) {
    for (std::int64_t o = 0; o < g.out_c; ++o) y[p * g.out_c + o] = bias ? bias[o] : 0.0f;
  }
  for_each_tap(g, [&](std::int64_t out_pixel, std::int64_t in_pixel, std::int64_t tap) {
    const float* xp = x + in_pixel * g.in_c;
    float* yp = y + out_pixel * g.out_c;
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      for (std::int64_t ci = 0; ci < cin_g; ++ci) {
        const float xv = xp[grp * cin_g + ci];
        const float* wrow = w + (tap * cin_g + ci) * g.out_c + grp * cout_g;
        float* yg = yp + grp * cout_g;
        for (std::int64_t co = 0; co < cout_g; ++co) yg[co] += xv * wrow[co];
      }
    }
  });
  if (act == FusedActivation::relu) {
    for (std::int64_t i = 0; i < pixels * g.out_c; ++i) y[i] = element_rules::fused_relu(y[i]);
  }
}

void ReferenceBackend::conv2d_backward_data(const Conv2DGeometry& g, const void* dy_in,
                                            const void* w_in, void* dx_in) {
  if (g.dtype != DType::float32) {
    const auto dy = widened(*this, dy_in, g.dtype, output_size(g)), w = widened(*this, w_in, g.dtype, kernel_size(g));
    std::vector<float> dx(static_cast<std::size_t>(input_size(g)));
    conv2d_backward_data(as_float32(g), dy.data(), w.data(), dx.data());
    narrow(*this, dx, dx_in, g.dtype);
    return;
  }
  const auto* dy = static_cast<const float*>(dy_in);
  const auto* w = static_cast<const float*>(w_in);
  auto* dx = static_cast<float*>(dx_in);
  const std::int64_t cin_g = g.in_c / g.groups, cout_g = g.out_c / g.groups;
  std::fill(dx, dx + g.batch * g.in_h * g.in_w * g.in_c, 0.0f);
  for_each_tap(g, [&](std::int64_t out_pixel, std::int64_t in_pixel, std::int64_t tap) {
    const float* dyp = dy + out_pixel * g.out_c;
    float* dxp = dx + in_pixel * g.in_c;
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      for (std::int64_t ci = 0; ci < cin_g; ++ci) {
        const float* wrow = w + (tap * cin_g + ci) * g.out_c + grp * cout_g;
        const float* dyg = dyp + grp * cout_g;
        float acc = 0.0f;
        for (std::int64_t co = 0; co < cout_g; ++co) acc += wrow[co] * dyg[co];
        dxp[grp * cin_g + ci] += acc;
      }
    }
  });
}

void ReferenceBackend::conv2d_backward_filter(const Conv2DGeometry& g, const void* x_in,
                                              const void* dy_in, void* dw_in) {
  if (g.dtype != DType::float32) {
    const auto x = widened(*this, x_in, g.dtype, input_size(g)), dy = widened(*this, dy_in, g.dtype, output_size(g));
    std::vector<float> dw(static_cast<std::size_t>(kernel_size(g)));
    conv2d_backward_filter(as_float32(g), x.data(), dy.data(), dw.data());
    narrow(*this, dw, dw_in, g.dtype);
    return;
  }
  const auto* x = static_cast<const float*>(x_in);
  const auto* dy = static_cast<const float*>(dy_in);
  auto* dw = static_cast<float*>(dw_in);
  const std::int64_t cin_g = g.in_c / g.groups, cout_g = g.out_c / g.groups;
  std::fill(dw, dw + g.kernel_h * g.kernel_w * cin_g * g.out_c, 0.0f);
  for_each_tap(g, [&](std::int64_t out_pixel, std::int64_t in_pixel, std::int64_t tap) {
    const float* xp = x + in_pixel * g.in_c;
    const float* dyp = dy + out_pixel * g.out_c;
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      for (std::int64_t ci = 0; ci < cin_g; ++ci) {
        const float xv = xp[grp * cin_g + ci];
        float* dwrow = dw + (tap * cin_g + ci) * g.out_c + grp * cout_g;
        const float* dyg = dyp + grp * cout_g;
        for (std::int64_t co = 0; co < cout_g; ++co) dwrow[co] += xv * dyg[co];
      }
    }
  });
}

}  // namespace keras::reference
