// Reference kernels: matrix products and 2-D convolutions (NHWC input, HWIO kernel). Loops
// are ordered so the innermost one runs over contiguous output channels.
#include <algorithm>
#include <vector>

#include "../common/element_rules.hpp"
#include "reference_backend.hpp"

namespace keras::reference {

namespace {
// bfloat16 arithmetic as the oracle sees it: operands rounded to bfloat16 (products of two
// bfloat16 values are exact in float32), sums in float32.
std::vector<float> rounded_to_bfloat16(const float* x, std::int64_t n) {
  std::vector<float> r(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) r[i] = float(bfloat16_t(x[i]));
  return r;
}
}  // namespace

void ReferenceBackend::gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n,
                            std::int64_t k, float alpha, const float* a, const float* b,
                            float beta, float* c, MathPrecision precision) {
  if (precision == MathPrecision::bfloat16) {
    const auto a16 = rounded_to_bfloat16(a, m * k), b16 = rounded_to_bfloat16(b, k * n);
    gemm(transpose_a, transpose_b, m, n, k, alpha, a16.data(), b16.data(), beta, c,
         MathPrecision::float32);
    return;
  }
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
// The same geometry computed in float32 on operands already rounded to bfloat16.
Conv2DGeometry as_float32(Conv2DGeometry g) {
  g.precision = MathPrecision::float32;
  return g;
}
}  // namespace

void ReferenceBackend::conv2d_forward(const Conv2DGeometry& g, const float* x, const float* w,
                                      const float* bias, FusedActivation act, float* y) {
  if (g.precision == MathPrecision::bfloat16) {
    const auto x16 = rounded_to_bfloat16(x, input_size(g)), w16 = rounded_to_bfloat16(w, kernel_size(g));
    conv2d_forward(as_float32(g), x16.data(), w16.data(), bias, act, y);
    return;
  }
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

void ReferenceBackend::conv2d_backward_data(const Conv2DGeometry& g, const float* dy,
                                            const float* w, float* dx) {
  if (g.precision == MathPrecision::bfloat16) {
    const auto dy16 = rounded_to_bfloat16(dy, output_size(g)), w16 = rounded_to_bfloat16(w, kernel_size(g));
    conv2d_backward_data(as_float32(g), dy16.data(), w16.data(), dx);
    return;
  }
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

void ReferenceBackend::conv2d_backward_filter(const Conv2DGeometry& g, const float* x,
                                              const float* dy, float* dw) {
  if (g.precision == MathPrecision::bfloat16) {
    const auto x16 = rounded_to_bfloat16(x, input_size(g)), dy16 = rounded_to_bfloat16(dy, output_size(g));
    conv2d_backward_filter(as_float32(g), x16.data(), dy16.data(), dw);
    return;
  }
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
