// The CPU backend against the reference backend, kernel by kernel, forward and backward, on
// random data and shapes chosen to hit the awkward cases: batch 1, odd sizes, stride 2, "same"
// and "valid", dilation, groups, depthwise; float32, bfloat16 and float16 storage. Both backends
// keep data in host memory, so the same buffers feed both. Agreement: max |cpu - ref| <=
// tolerance * max |ref|, 1e-4 for float32 (storage_tolerance for 16 bits). The same cases run on
// the device backends through a host view (parity_subject.hpp): cuda_parity_test.cpp,
// emulated_device_parity_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "keras/keras.hpp"
#include "support/stored_values.hpp"
#include "parity_subject.hpp"

using namespace keras;
using keras::testing::Stored;
using keras::testing::storage_tolerance;

#if KERASCPP_PARITY_BUILT

namespace {

Backend& ref() { return backend::get("reference"); }

std::vector<float> random_values(std::size_t n, unsigned seed, float low = -1.0f, float high = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i]) != std::isnan(want[i])) return INFINITY;
    if (std::isnan(want[i])) continue;
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
  }
  return scale == 0.0 ? diff : diff / scale;
}

constexpr double kTolerance = 1e-4;

#define CHECK_CLOSE(got, want) CHECK(relative_error(got, want) <= kTolerance)

struct ConvCase {
  std::int64_t n, h, w, c, kh, kw, out, stride, dilation, groups;
  bool same;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

Conv2DGeometry geometry(const ConvCase& k, DType dtype) {
  Conv2DGeometry g;
  g.batch = k.n, g.in_h = k.h, g.in_w = k.w, g.in_c = k.c;
  g.kernel_h = k.kh, g.kernel_w = k.kw, g.out_c = k.out;
  g.stride_h = g.stride_w = k.stride;
  g.dilation_h = g.dilation_w = k.dilation;
  g.groups = k.groups;
  g.dtype = dtype;
  const std::int64_t eh = (k.kh - 1) * k.dilation + 1, ew = (k.kw - 1) * k.dilation + 1;
  if (k.same) {
    g.out_h = ceil_div(k.h, k.stride), g.out_w = ceil_div(k.w, k.stride);
    g.pad_top = std::max<std::int64_t>(0, (g.out_h - 1) * k.stride + eh - k.h) / 2;
    g.pad_left = std::max<std::int64_t>(0, (g.out_w - 1) * k.stride + ew - k.w) / 2;
  } else {
    g.out_h = ceil_div(k.h - eh + 1, k.stride), g.out_w = ceil_div(k.w - ew + 1, k.stride);
  }
  return g;
}

const std::vector<ConvCase> kConvCases = {
    // n  h   w   c  kh kw out s  d  g  same
    {1, 7, 5, 3, 3, 3, 4, 1, 1, 1, true},     // batch 1, odd sizes
    {2, 9, 9, 5, 3, 3, 6, 2, 1, 1, true},     // stride 2, "same" with uneven padding
    {3, 8, 7, 4, 3, 2, 5, 2, 1, 1, false},    // stride 2, "valid", leftover column
    {2, 10, 10, 6, 3, 3, 6, 1, 2, 1, true},   // dilation 2
    {2, 6, 6, 8, 3, 3, 12, 1, 1, 4, true},    // groups 4
    {2, 7, 7, 6, 3, 3, 6, 1, 1, 6, true},     // depthwise
    {2, 7, 7, 6, 5, 5, 12, 2, 1, 6, false},   // depthwise, multiplier 2, stride 2
    {4, 16, 16, 32, 3, 3, 64, 1, 1, 1, true}, // a VGG-like layer
    {2, 5, 5, 16, 1, 1, 8, 1, 1, 1, false},   // pointwise
};

std::int64_t input_count(const Conv2DGeometry& g) { return g.batch * g.in_h * g.in_w * g.in_c; }
std::int64_t output_count(const Conv2DGeometry& g) { return g.batch * g.out_h * g.out_w * g.out_c; }
std::int64_t kernel_count(const Conv2DGeometry& g) { return g.kernel_h * g.kernel_w * (g.in_c / g.groups) * g.out_c; }

}  // namespace

TEST_CASE(KERASCPP_PARITY_SUBJECT ": conv2d forward, backward data and backward filter match the reference") {
  PARITY_SUBJECT_OR_SKIP();
  for (const DType dtype : {float32, bfloat16, float16}) {
    for (std::size_t i = 0; i < kConvCases.size(); ++i) {
      const Conv2DGeometry g = geometry(kConvCases[i], dtype);
      CAPTURE(i);
      CAPTURE(to_string(dtype));
      const double tolerance = storage_tolerance(dtype);
      const Stored x(random_values(input_count(g), 1 + i), dtype), w(random_values(kernel_count(g), 2 + i), dtype);
      const Stored bias(random_values(g.out_c, 3 + i), dtype), dy(random_values(output_count(g), 4 + i), dtype);
      for (const bool with_bias : {false, true}) {
        for (const FusedActivation act : {FusedActivation::none, FusedActivation::relu}) {
          Stored y_ref = Stored::garbage(output_count(g), dtype), y_cpu = Stored::garbage(output_count(g), dtype);
          ref().conv2d_forward(g, x.data(), w.data(), with_bias ? bias.data() : nullptr, act, y_ref.data());
          subject().conv2d_forward(g, x.data(), w.data(), with_bias ? bias.data() : nullptr, act, y_cpu.data());
          CHECK(relative_error(y_cpu.widened(), y_ref.widened()) <= tolerance);
        }
      }
      Stored dx_ref = Stored::garbage(input_count(g), dtype), dx_cpu = Stored::garbage(input_count(g), dtype);
      ref().conv2d_backward_data(g, dy.data(), w.data(), dx_ref.data());
      subject().conv2d_backward_data(g, dy.data(), w.data(), dx_cpu.data());
      CHECK(relative_error(dx_cpu.widened(), dx_ref.widened()) <= tolerance);
      Stored dw_ref = Stored::garbage(kernel_count(g), dtype), dw_cpu = Stored::garbage(kernel_count(g), dtype);
      ref().conv2d_backward_filter(g, x.data(), dy.data(), dw_ref.data());
      subject().conv2d_backward_filter(g, x.data(), dy.data(), dw_cpu.data());
      CHECK(relative_error(dw_cpu.widened(), dw_ref.widened()) <= tolerance);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": 16-bit convolutions and gemm store rounded results of float32 sums") {
  PARITY_SUBJECT_OR_SKIP();
  // On the same operand values, the 16-bit result must be the float32 result rounded once:
  // within one unit in the last place of it, and not equal to it (else the storage type is
  // being ignored). Whichever path this CPU takes (native kernels, or widening where it has
  // none: .ci/run repeats this with ONEDNN_MAX_CPU_ISA=AVX2).
  for (const DType dtype : {bfloat16, float16}) {
    CAPTURE(to_string(dtype));
    const double ulp = dtype == bfloat16 ? 1.0 / 128 : 1.0 / 1024;
    const Conv2DGeometry g16 = geometry(kConvCases[7], dtype), g32 = geometry(kConvCases[7], float32);
    const Stored x16(random_values(input_count(g32), 11), dtype), w16(random_values(kernel_count(g32), 12), dtype);
    const auto x = x16.widened(), w = w16.widened();
    std::vector<float> y32(output_count(g32));
    Stored y16 = Stored::garbage(output_count(g32), dtype), y16_ref = Stored::garbage(output_count(g32), dtype);
    subject().conv2d_forward(g32, x.data(), w.data(), nullptr, FusedActivation::none, y32.data());
    subject().conv2d_forward(g16, x16.data(), w16.data(), nullptr, FusedActivation::none, y16.data());
    ref().conv2d_forward(g16, x16.data(), w16.data(), nullptr, FusedActivation::none, y16_ref.data());
    CHECK(relative_error(y16.widened(), y32) > 1e-5);
    CHECK(relative_error(y16.widened(), y32) <= ulp);
    CHECK(relative_error(y16.widened(), y16_ref.widened()) <= ulp);
    const std::int64_t m = 64, n = 96, k = 300;
    const Stored a16(random_values(m * k, 13), dtype), b16(random_values(k * n, 14), dtype);
    const auto a = a16.widened(), b = b16.widened();
    std::vector<float> c32(m * n);
    Stored c16 = Stored::garbage(m * n, dtype), c16_ref = Stored::garbage(m * n, dtype);
    subject().gemm(false, true, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c32.data(), float32);
    subject().gemm(false, true, m, n, k, 1.0f, a16.data(), b16.data(), 0.0f, c16.data(), dtype);
    ref().gemm(false, true, m, n, k, 1.0f, a16.data(), b16.data(), 0.0f, c16_ref.data(), dtype);
    CHECK(relative_error(c16.widened(), c32) > 1e-5);
    CHECK(relative_error(c16.widened(), c32) <= ulp);
    CHECK(relative_error(c16.widened(), c16_ref.widened()) <= ulp);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": gemm with every transpose, odd sizes, alpha and beta") {
  PARITY_SUBJECT_OR_SKIP();
  struct Case { std::int64_t m, n, k; };
  const std::vector<Case> cases = {{1, 1, 1}, {7, 5, 3}, {64, 1000, 8192 / 16}, {33, 17, 65}, {5, 100, 1000}, {4, 3, 0}};
  for (const DType dtype : {float32, bfloat16, float16}) {
    for (const auto& c : cases) {
      for (int t = 0; t < 4; ++t) {
        const bool ta = t & 1, tb = t & 2;
        for (const auto& [alpha, beta] : std::vector<std::pair<float, float>>{{1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f}}) {
          CAPTURE(to_string(dtype));
          CAPTURE(c.m);
          CAPTURE(c.n);
          CAPTURE(c.k);
          CAPTURE(t);
          CAPTURE(alpha);
          const Stored a(random_values(c.m * c.k, 21), dtype), b(random_values(c.k * c.n, 22), dtype);
          Stored c_ref(random_values(c.m * c.n, 23), dtype);
          Stored c_cpu = beta == 0.0f ? Stored::garbage(c.m * c.n, dtype) : c_ref;  // beta 0 must overwrite
          ref().gemm(ta, tb, c.m, c.n, c.k, alpha, a.data(), b.data(), beta, c_ref.data(), dtype);
          subject().gemm(ta, tb, c.m, c.n, c.k, alpha, a.data(), b.data(), beta, c_cpu.data(), dtype);
          CHECK(relative_error(c_cpu.widened(), c_ref.widened()) <= storage_tolerance(dtype));
        }
      }
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": max and average pooling, forward and backward") {
  PARITY_SUBJECT_OR_SKIP();
  struct Case { std::int64_t n, h, w, c, pool, stride; bool same; };
  const std::vector<Case> cases = {{1, 7, 5, 3, 2, 2, false}, {2, 7, 5, 3, 2, 2, true},
                                   {2, 8, 8, 16, 3, 2, true}, {3, 9, 6, 4, 3, 1, false},
                                   {2, 32, 32, 64, 2, 2, false}};
  for (const auto& k : cases) {
    Pool2DGeometry g;
    g.batch = k.n, g.in_h = k.h, g.in_w = k.w, g.channels = k.c;
    g.pool_h = g.pool_w = k.pool, g.stride_h = g.stride_w = k.stride;
    if (k.same) {
      g.out_h = ceil_div(k.h, k.stride), g.out_w = ceil_div(k.w, k.stride);
      g.pad_top = std::max<std::int64_t>(0, (g.out_h - 1) * k.stride + k.pool - k.h) / 2;
      g.pad_left = std::max<std::int64_t>(0, (g.out_w - 1) * k.stride + k.pool - k.w) / 2;
    } else {
      g.out_h = (k.h - k.pool) / k.stride + 1, g.out_w = (k.w - k.pool) / k.stride + 1;
    }
    const std::int64_t in = k.n * k.h * k.w * k.c, out = k.n * g.out_h * g.out_w * k.c;
    const auto x = random_values(in, 31), dy = random_values(out, 32);
    for (const PoolMode mode : {PoolMode::max, PoolMode::average}) {
      CAPTURE(k.h);
      CAPTURE(k.same);
      CAPTURE(static_cast<int>(mode));
      std::vector<float> y_ref(out), y_cpu(out, NAN), dx_ref(in), dx_cpu(in, NAN);
      ref().pool2d_forward(mode, g, x.data(), y_ref.data());
      subject().pool2d_forward(mode, g, x.data(), y_cpu.data());
      CHECK_CLOSE(y_cpu, y_ref);
      ref().pool2d_backward(mode, g, x.data(), y_ref.data(), dy.data(), dx_ref.data());
      subject().pool2d_backward(mode, g, x.data(), y_ref.data(), dy.data(), dx_cpu.data());
      CHECK_CLOSE(dx_cpu, dx_ref);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": batch normalization training, inference and backward") {
  PARITY_SUBJECT_OR_SKIP();
  for (const std::int64_t rows : {1, 7, 2 * 16 * 16}) {
    for (const std::int64_t channels : {3, 64}) {
      for (const bool affine : {true, false}) {
        CAPTURE(rows);
        CAPTURE(channels);
        CAPTURE(affine);
        const auto x = random_values(rows * channels, 41, -2.0f, 3.0f), dy = random_values(rows * channels, 42);
        const auto gamma = random_values(channels, 43, 0.5f, 1.5f), beta = random_values(channels, 44);
        const float* gp = affine ? gamma.data() : nullptr;
        const float* bp = affine ? beta.data() : nullptr;
        std::vector<float> y_ref(rows * channels), y_cpu(rows * channels, NAN);
        std::vector<float> mean_ref(channels), var_ref(channels), mean_cpu(channels, NAN), var_cpu(channels, NAN);
        ref().batch_norm_training(x.data(), gp, bp, rows, channels, 1e-3f, y_ref.data(), mean_ref.data(), var_ref.data());
        subject().batch_norm_training(x.data(), gp, bp, rows, channels, 1e-3f, y_cpu.data(), mean_cpu.data(), var_cpu.data());
        CHECK_CLOSE(y_cpu, y_ref);
        CHECK_CLOSE(mean_cpu, mean_ref);
        CHECK_CLOSE(var_cpu, var_ref);
        ref().batch_norm_inference(x.data(), gp, bp, mean_ref.data(), var_ref.data(), rows, channels, 1e-3f, y_ref.data());
        subject().batch_norm_inference(x.data(), gp, bp, mean_ref.data(), var_ref.data(), rows, channels, 1e-3f, y_cpu.data());
        CHECK_CLOSE(y_cpu, y_ref);
        if (rows == 1) continue;  // one row has no spread: the backward is 0/0 in float32
        std::vector<float> dx_ref(rows * channels), dx_cpu(rows * channels, NAN);
        std::vector<float> dg_ref(channels), db_ref(channels), dg_cpu(channels, NAN), db_cpu(channels, NAN);
        ref().batch_norm_backward(dy.data(), x.data(), gp, mean_ref.data(), var_ref.data(), rows, channels, 1e-3f,
                                  dx_ref.data(), affine ? dg_ref.data() : nullptr, affine ? db_ref.data() : nullptr);
        subject().batch_norm_backward(dy.data(), x.data(), gp, mean_ref.data(), var_ref.data(), rows, channels, 1e-3f,
                                  dx_cpu.data(), affine ? dg_cpu.data() : nullptr, affine ? db_cpu.data() : nullptr);
        CHECK_CLOSE(dx_cpu, dx_ref);
        if (affine) {
          CHECK_CLOSE(dg_cpu, dg_ref);
          CHECK_CLOSE(db_cpu, db_ref);
        }
      }
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": softmax and log-softmax, forward and backward") {
  PARITY_SUBJECT_OR_SKIP();
  for (const auto& [rows, cols] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}, {3, 7}, {64, 100}}) {
    for (const bool log : {false, true}) {
      const auto x = random_values(rows * cols, 51, -5.0f, 5.0f), dy = random_values(rows * cols, 52);
      std::vector<float> y_ref(rows * cols), y_cpu(rows * cols, NAN), dx_ref(rows * cols), dx_cpu(rows * cols, NAN);
      ref().softmax_forward(x.data(), y_ref.data(), rows, cols, log);
      subject().softmax_forward(x.data(), y_cpu.data(), rows, cols, log);
      CHECK_CLOSE(y_cpu, y_ref);
      ref().softmax_backward(y_ref.data(), dy.data(), dx_ref.data(), rows, cols, log);
      subject().softmax_backward(y_ref.data(), dy.data(), dx_cpu.data(), rows, cols, log);
      CHECK_CLOSE(dx_cpu, dx_ref);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": resizing up and down, nearest and bilinear") {
  PARITY_SUBJECT_OR_SKIP();
  struct Case { std::int64_t n, h, w, c, oh, ow; };
  for (const auto& k : std::vector<Case>{{1, 4, 4, 3, 8, 8}, {2, 7, 5, 2, 3, 4}, {2, 5, 9, 4, 11, 6}}) {
    for (const Interpolation mode : {Interpolation::nearest, Interpolation::bilinear}) {
      CAPTURE(k.h);
      CAPTURE(k.oh);
      CAPTURE(static_cast<int>(mode));
      const std::int64_t in = k.n * k.h * k.w * k.c, out = k.n * k.oh * k.ow * k.c;
      const auto x = random_values(in, 61), dy = random_values(out, 62);
      std::vector<float> y_ref(out), y_cpu(out, NAN), dx_ref(in), dx_cpu(in, NAN);
      ref().resize2d_forward(mode, x.data(), k.n, k.h, k.w, k.c, y_ref.data(), k.oh, k.ow);
      subject().resize2d_forward(mode, x.data(), k.n, k.h, k.w, k.c, y_cpu.data(), k.oh, k.ow);
      CHECK_CLOSE(y_cpu, y_ref);
      ref().resize2d_backward(mode, dy.data(), k.n, k.h, k.w, k.c, dx_ref.data(), k.oh, k.ow);
      subject().resize2d_backward(mode, dy.data(), k.n, k.h, k.w, k.c, dx_cpu.data(), k.oh, k.ow);
      CHECK_CLOSE(dx_cpu, dx_ref);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": element-wise functions and their derivatives") {
  PARITY_SUBJECT_OR_SKIP();
  const std::size_t n = 100003;  // odd, several chunks
  auto x = random_values(n, 71, -3.0f, 3.0f);
  const auto dy = random_values(n, 72);
  struct Case { UnaryOp op; UnaryParams p; bool positive; };
  const float inf = INFINITY;
  const std::vector<Case> cases = {
      {UnaryOp::relu, {0.0f, 0.0f, inf}, false}, {UnaryOp::relu, {0.1f, 0.5f, 2.0f}, false},
      {UnaryOp::elu, {1.0f, 0, 0}, false},       {UnaryOp::leaky_relu, {0.3f, 0, 0}, false},
      {UnaryOp::gelu, {}, false},                {UnaryOp::sigmoid, {}, false},
      {UnaryOp::tanh, {}, false},                {UnaryOp::exp, {}, false},
      {UnaryOp::log, {}, true},                  {UnaryOp::sqrt, {}, true},
      {UnaryOp::square, {}, false},              {UnaryOp::abs, {}, false},
      {UnaryOp::neg, {}, false},                 {UnaryOp::clip, {-0.5f, 0.7f, 0}, false},
      {UnaryOp::reciprocal, {}, true}};
  for (const auto& c : cases) {
    CAPTURE(static_cast<int>(c.op));
    std::vector<float> input = x;
    if (c.positive) for (auto& v : input) v = std::fabs(v) + 0.1f;
    std::vector<float> y_ref(n), y_cpu(n, NAN), dx_ref(n), dx_cpu(n, NAN);
    ref().unary(c.op, c.p, input.data(), y_ref.data(), n);
    subject().unary(c.op, c.p, input.data(), y_cpu.data(), n);
    CHECK_CLOSE(y_cpu, y_ref);
    ref().unary_backward(c.op, c.p, input.data(), y_ref.data(), dy.data(), dx_ref.data(), n);
    subject().unary_backward(c.op, c.p, input.data(), y_ref.data(), dy.data(), dx_cpu.data(), n);
    CHECK_CLOSE(dx_cpu, dx_ref);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": broadcast arithmetic, masks, affine, bias_add") {
  PARITY_SUBJECT_OR_SKIP();
  // (a, b) shapes as broadcast specs: same shape, row vector, column, scalar, middle axis.
  struct Case { std::vector<std::int64_t> dims, a_strides, b_strides; std::int64_t a_size, b_size; };
  const std::vector<Case> cases = {
      {{37, 1001}, {1001, 1}, {1001, 1}, 37 * 1001, 37 * 1001},
      {{64, 100}, {100, 1}, {0, 1}, 6400, 100},
      {{64, 100}, {100, 1}, {1, 0}, 6400, 64},
      {{5, 3, 7}, {21, 7, 1}, {0, 0, 0}, 105, 1},
      {{4, 6, 5, 3}, {90, 15, 3, 1}, {0, 1, 0, 0}, 360, 6},
      {{}, {}, {}, 1, 1}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    const auto& c = cases[i];
    const BroadcastSpec spec{c.dims, c.a_strides, c.b_strides};
    std::int64_t total = 1;
    for (auto d : c.dims) total *= d;
    const auto a = random_values(c.a_size, 81), b = random_values(c.b_size, 82, 0.5f, 1.5f);
    for (const BinaryOp op : {BinaryOp::add, BinaryOp::subtract, BinaryOp::multiply, BinaryOp::divide,
                              BinaryOp::maximum, BinaryOp::minimum}) {
      std::vector<float> y_ref(total), y_cpu(total, NAN);
      ref().binary(op, a.data(), b.data(), y_ref.data(), spec);
      subject().binary(op, a.data(), b.data(), y_cpu.data(), spec);
      CHECK(y_cpu == y_ref);  // one float operation per element: identical
    }
    for (const BinaryOp op : {BinaryOp::maximum, BinaryOp::minimum}) {
      std::vector<float> m_ref(total), m_cpu(total, NAN);
      ref().select_mask(op, a.data(), b.data(), m_ref.data(), spec);
      subject().select_mask(op, a.data(), b.data(), m_cpu.data(), spec);
      CHECK(m_cpu == m_ref);
    }
  }
  const auto x = random_values(70001, 83), bias = random_values(7, 84);
  std::vector<float> y_ref(70001), y_cpu(70001, NAN);
  ref().affine(x.data(), y_ref.data(), x.size(), 1.5f, -0.25f);
  subject().affine(x.data(), y_cpu.data(), x.size(), 1.5f, -0.25f);
  CHECK(y_cpu == y_ref);
  for (const FusedActivation act : {FusedActivation::none, FusedActivation::relu}) {
    ref().bias_add(x.data(), bias.data(), y_ref.data(), 10000, 7, act);
    subject().bias_add(x.data(), bias.data(), y_cpu.data(), 10000, 7, act);
    CHECK(std::equal(y_cpu.begin(), y_cpu.begin() + 70000, y_ref.begin()));
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": reductions, expansions and argmax scatter") {
  PARITY_SUBJECT_OR_SKIP();
  struct Case { std::int64_t outer, mid, inner; };
  for (const auto& c : std::vector<Case>{{1, 65536, 128}, {64, 100, 1}, {3, 5, 7}, {1, 1, 1}, {1000, 3, 2}}) {
    CAPTURE(c.outer);
    CAPTURE(c.mid);
    const std::int64_t in = c.outer * c.mid * c.inner, out = c.outer * c.inner;
    const auto x = random_values(in, 91), dy = random_values(out, 92);
    std::vector<float> s_ref(out), s_cpu(out, NAN), m_ref(out), m_cpu(out, NAN);
    std::vector<std::int32_t> a_ref(out), a_cpu(out, -1);
    ref().reduce_sum(x.data(), s_ref.data(), c.outer, c.mid, c.inner);
    subject().reduce_sum(x.data(), s_cpu.data(), c.outer, c.mid, c.inner);
    CHECK_CLOSE(s_cpu, s_ref);
    ref().reduce_max(x.data(), m_ref.data(), a_ref.data(), c.outer, c.mid, c.inner);
    subject().reduce_max(x.data(), m_cpu.data(), a_cpu.data(), c.outer, c.mid, c.inner);
    CHECK(m_cpu == m_ref);
    CHECK(a_cpu == a_ref);
    std::vector<float> e_ref(in), e_cpu(in, NAN);
    ref().expand_mid(dy.data(), e_ref.data(), c.outer, c.mid, c.inner, 0.5f);
    subject().expand_mid(dy.data(), e_cpu.data(), c.outer, c.mid, c.inner, 0.5f);
    CHECK(e_cpu == e_ref);
    ref().scatter_argmax(dy.data(), a_ref.data(), e_ref.data(), c.outer, c.mid, c.inner);
    subject().scatter_argmax(dy.data(), a_ref.data(), e_cpu.data(), c.outer, c.mid, c.inner);
    CHECK(e_cpu == e_ref);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": copies, padding, cropping, gathers, casts, labels, random numbers") {
  PARITY_SUBJECT_OR_SKIP();
  const auto x = random_values(2 * 5 * 7 * 3, 101);
  for (const bool accumulate : {false, true}) {
    std::vector<float> d_ref(10 * 12, 1.0f), d_cpu(10 * 12, 1.0f);
    ref().copy_rows(x.data(), 21, 2, d_ref.data(), 12, 3, 10, 8, accumulate);
    subject().copy_rows(x.data(), 21, 2, d_cpu.data(), 12, 3, 10, 8, accumulate);
    CHECK(d_cpu == d_ref);
  }
  std::vector<float> p_ref(2 * 8 * 11 * 3), p_cpu(p_ref.size(), NAN);
  ref().pad2d(x.data(), p_ref.data(), 2, 5, 7, 3, 1, 2, 3, 1, -7.0f);
  subject().pad2d(x.data(), p_cpu.data(), 2, 5, 7, 3, 1, 2, 3, 1, -7.0f);
  CHECK(p_cpu == p_ref);
  std::vector<float> c_ref(2 * 2 * 3 * 3), c_cpu(c_ref.size(), NAN);
  ref().crop2d(x.data(), c_ref.data(), 2, 5, 7, 3, 1, 2, 3, 1);
  subject().crop2d(x.data(), c_cpu.data(), 2, 5, 7, 3, 1, 2, 3, 1);
  CHECK(c_cpu == c_ref);
  const std::vector<std::int64_t> rows{4, 0, 9, 9, 2};
  std::vector<float> g_ref(5 * 21), g_cpu(5 * 21, NAN);
  ref().gather_rows(x.data(), 21 * sizeof(float), rows.data(), rows.size(), g_ref.data());
  subject().gather_rows(x.data(), 21 * sizeof(float), rows.data(), rows.size(), g_cpu.data());
  CHECK(g_cpu == g_ref);
  // Every permutation of a 4-D tensor, 4-byte and 2-byte elements, NaN and infinities carried.
  std::vector<float> t = x;
  t[5] = NAN;
  t[17] = INFINITY;
  t[40] = -INFINITY;
  std::vector<int> perm{0, 1, 2, 3};
  do {
    CAPTURE(perm[0] * 1000 + perm[1] * 100 + perm[2] * 10 + perm[3]);
    std::vector<float> t_ref(t.size()), t_cpu(t.size(), 0.0f);
    ref().transpose(t.data(), t_ref.data(), sizeof(float), {2, 5, 7, 3}, perm);
    subject().transpose(t.data(), t_cpu.data(), sizeof(float), {2, 5, 7, 3}, perm);
    CHECK(std::memcmp(t_ref.data(), t_cpu.data(), t.size() * sizeof(float)) == 0);
    std::vector<std::uint16_t> h_ref(2 * t.size()), h_cpu(2 * t.size(), 0);
    ref().transpose(t.data(), h_ref.data(), 2, {4, 5, 7, 3}, perm);  // the same bytes seen as 2-byte elements
    subject().transpose(t.data(), h_cpu.data(), 2, {4, 5, 7, 3}, perm);
    CHECK(h_ref == h_cpu);
  } while (std::next_permutation(perm.begin(), perm.end()));
  const std::vector<float> wide{-1e10f, -3.7f, -0.5f, 0.0f, 0.5f, 2.5f, 255.9f, 300.0f, 3e9f, NAN};
  for (const DType to : {DType::int32, DType::uint8, DType::bfloat16, DType::float16}) {
    std::vector<std::uint8_t> r(wide.size() * 4), q(wide.size() * 4, 0xAB);
    ref().cast(wide.data(), DType::float32, r.data(), to, wide.size());
    subject().cast(wide.data(), DType::float32, q.data(), to, wide.size());
    CHECK(std::memcmp(r.data(), q.data(), wide.size() * size_of(to)) == 0);
  }
  // float16 both ways, bit for bit: every half (normals, subnormals, infinities, NaNs) widened,
  // and float32 values around every rounding boundary (ties, overflow, underflow) narrowed.
  std::vector<std::uint16_t> halves(65536);
  for (std::size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<std::uint16_t>(i);
  std::vector<float> widened_ref(halves.size()), widened_cpu(halves.size());
  ref().cast(halves.data(), DType::float16, widened_ref.data(), DType::float32, halves.size());
  subject().cast(halves.data(), DType::float16, widened_cpu.data(), DType::float32, halves.size());
  std::size_t differ = 0;  // NaN payloads may differ (the reference passes them through double)
  for (std::size_t i = 0; i < halves.size(); ++i) {
    const bool same = std::memcmp(&widened_cpu[i], &widened_ref[i], 4) == 0;
    differ += !(same || (std::isnan(widened_cpu[i]) && std::isnan(widened_ref[i])));
  }
  CHECK(differ == 0);
  std::vector<std::uint32_t> floats;
  for (const float value : widened_ref) {
    std::uint32_t w;
    std::memcpy(&w, &value, 4);
    for (const std::uint32_t delta : {0u, 1u, 0xFFFu, 0x1000u, 0x1001u, 0x1FFFu}) floats.push_back(w + delta);
  }
  std::vector<std::uint16_t> narrowed_ref(floats.size()), narrowed_cpu(floats.size());
  ref().cast(floats.data(), DType::float32, narrowed_ref.data(), DType::float16, floats.size());
  subject().cast(floats.data(), DType::float32, narrowed_cpu.data(), DType::float16, floats.size());
  CHECK(narrowed_cpu == narrowed_ref);
  const std::vector<std::int32_t> labels{3, 0, 9, 9, -1, 10};  // the last two are outside [0, 10)
  std::vector<float> h_ref(60), h_cpu(60, NAN);
  std::int32_t invalid_ref = -7, invalid_cpu = -7;
  ref().one_hot(labels.data(), labels.size(), 10, h_ref.data(), &invalid_ref);
  subject().one_hot(labels.data(), labels.size(), 10, h_cpu.data(), &invalid_cpu);
  CHECK(h_cpu == h_ref);
  CHECK(invalid_ref == 2);
  CHECK(invalid_cpu == 2);
  CHECK(std::count(h_ref.begin() + 40, h_ref.end(), 0.0f) == 20);
  std::vector<float> r_ref(100001), r_cpu(100001);
  ref().random_uniform(r_ref.data(), r_ref.size(), 42, -2.0f, 3.0f);
  subject().random_uniform(r_cpu.data(), r_cpu.size(), 42, -2.0f, 3.0f);
  CHECK(r_cpu == r_ref);
  ref().random_normal(r_ref.data(), r_ref.size(), 43, 1.0f, 0.5f);
  subject().random_normal(r_cpu.data(), r_cpu.size(), 43, 1.0f, 0.5f);
  CHECK(r_cpu == r_ref);
  ref().dropout_mask(r_ref.data(), r_ref.size(), 44, 0.3f);
  subject().dropout_mask(r_cpu.data(), r_cpu.size(), 44, 0.3f);
  CHECK(r_cpu == r_ref);
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": fused optimizer updates round exactly as the reference") {
  PARITY_SUBJECT_OR_SKIP();
  const std::size_t n = 200003;
  const auto g = random_values(n, 111);
  for (const bool amsgrad : {false, true}) {
    auto var_r = random_values(n, 112), m_r = random_values(n, 113), v_r = random_values(n, 114, 0.0f, 1.0f);
    auto vmax_r = random_values(n, 115, 0.0f, 1.0f);
    auto var_c = var_r, m_c = m_r, v_c = v_r, vmax_c = vmax_r;
    ref().adam_update(var_r.data(), m_r.data(), v_r.data(), amsgrad ? vmax_r.data() : nullptr, g.data(), n,
                      1e-3f, 0.1f, 0.001f, 1e-7f);
    subject().adam_update(var_c.data(), m_c.data(), v_c.data(), amsgrad ? vmax_c.data() : nullptr, g.data(), n,
                      1e-3f, 0.1f, 0.001f, 1e-7f);
    CHECK(var_c == var_r);
    CHECK(m_c == m_r);
    CHECK(v_c == v_r);
    CHECK(vmax_c == vmax_r);
  }
  for (const float momentum : {0.0f, 0.9f}) {
    for (const bool nesterov : {false, true}) {
      auto var_r = random_values(n, 116), m_r = random_values(n, 117);
      auto var_c = var_r, m_c = m_r;
      ref().sgd_update(var_r.data(), momentum == 0.0f ? nullptr : m_r.data(), g.data(), n, 0.01f, momentum, nesterov);
      subject().sgd_update(var_c.data(), momentum == 0.0f ? nullptr : m_c.data(), g.data(), n, 0.01f, momentum, nesterov);
      CHECK(var_c == var_r);
      CHECK(m_c == m_r);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": grouped Adam and SGD updates equal the reference's per-variable updates") {
  PARITY_SUBJECT_OR_SKIP();
  // A model's variables: a few large kernels, small biases, an empty one, odd sizes.
  const std::vector<std::size_t> sizes{3 * 3 * 3 * 128, 128, 0, 1, 147457, 1000, 3};
  std::vector<std::vector<float>> g, var_r, var_c, m_r, m_c, v_r, v_c, vmax_r, vmax_c;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto n = sizes[i];
    const auto seed = static_cast<unsigned>(140 + 10 * i);
    g.push_back(random_values(n, seed));
    var_r.push_back(random_values(n, seed + 1)), m_r.push_back(random_values(n, seed + 2));
    v_r.push_back(random_values(n, seed + 3, 0.0f, 1.0f)), vmax_r.push_back(random_values(n, seed + 4, 0.0f, 1.0f));
  }
  for (const bool amsgrad : {false, true}) {
    var_c = var_r, m_c = m_r, v_c = v_r, vmax_c = vmax_r;
    std::vector<AdamTensors> group;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      ref().adam_update(var_r[i].data(), m_r[i].data(), v_r[i].data(), amsgrad ? vmax_r[i].data() : nullptr, g[i].data(),
                        sizes[i], 1e-3f, 0.1f, 0.001f, 1e-7f);
      group.push_back({var_c[i].data(), m_c[i].data(), v_c[i].data(), amsgrad ? vmax_c[i].data() : nullptr, g[i].data(),
                       sizes[i]});
    }
    subject().adam_update_group(group.data(), group.size(), 1e-3f, 0.1f, 0.001f, 1e-7f);
    CHECK(var_c == var_r);
    CHECK(m_c == m_r);
    CHECK(v_c == v_r);
    CHECK(vmax_c == vmax_r);
  }
  for (const float momentum : {0.0f, 0.9f}) {
    for (const bool nesterov : {false, true}) {
      var_c = var_r, m_c = m_r;
      std::vector<SgdTensors> group;
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        ref().sgd_update(var_r[i].data(), momentum == 0.0f ? nullptr : m_r[i].data(), g[i].data(), sizes[i], 0.01f,
                         momentum, nesterov);
        group.push_back({var_c[i].data(), momentum == 0.0f ? nullptr : m_c[i].data(), g[i].data(), sizes[i]});
      }
      subject().sgd_update_group(group.data(), group.size(), 0.01f, momentum, nesterov);
      CHECK(var_c == var_r);
      CHECK(m_c == m_r);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ": fused RMSprop, Adagrad and Nadam updates round exactly as the reference") {
  PARITY_SUBJECT_OR_SKIP();
  const std::size_t n = 100003;
  const auto g = random_values(n, 121);
  for (const bool with_momentum : {false, true}) {
    for (const bool centered : {false, true}) {
      auto var_r = random_values(n, 122), vel_r = random_values(n, 123, 0.5f, 1.0f);
      auto mom_r = random_values(n, 124), avg_r = random_values(n, 125, -0.1f, 0.1f);
      auto var_c = var_r, vel_c = vel_r, mom_c = mom_r, avg_c = avg_r;
      ref().rmsprop_update(var_r.data(), vel_r.data(), with_momentum ? mom_r.data() : nullptr,
                           centered ? avg_r.data() : nullptr, g.data(), n, 1e-3f, 0.9f, 0.5f, 1e-7f);
      subject().rmsprop_update(var_c.data(), vel_c.data(), with_momentum ? mom_c.data() : nullptr,
                           centered ? avg_c.data() : nullptr, g.data(), n, 1e-3f, 0.9f, 0.5f, 1e-7f);
      CHECK(var_c == var_r);
      CHECK(vel_c == vel_r);
      CHECK(mom_c == mom_r);
      CHECK(avg_c == avg_r);
    }
  }
  auto var_r = random_values(n, 126), acc_r = random_values(n, 127, 0.1f, 1.0f);
  auto var_c = var_r, acc_c = acc_r;
  ref().adagrad_update(var_r.data(), acc_r.data(), g.data(), n, 1e-2f, 1e-7f);
  subject().adagrad_update(var_c.data(), acc_c.data(), g.data(), n, 1e-2f, 1e-7f);
  CHECK(var_c == var_r);
  CHECK(acc_c == acc_r);
  auto m_r = random_values(n, 128), v_r = random_values(n, 129, 0.0f, 1.0f);
  auto m_c = m_r, v_c = v_r;
  var_c = var_r;
  ref().nadam_update(var_r.data(), m_r.data(), v_r.data(), g.data(), n, 0.1f, 0.001f, 9.5f, 0.06f, 0.002f, 1e-3f, 1e-7f);
  subject().nadam_update(var_c.data(), m_c.data(), v_c.data(), g.data(), n, 0.1f, 0.001f, 9.5f, 0.06f, 0.002f, 1e-3f, 1e-7f);
  CHECK(var_c == var_r);
  CHECK(m_c == m_r);
  CHECK(v_c == v_r);
}

namespace {
// A batch's transforms as ImageDataGenerator draws them: resampled (rotation, shear, zoom and
// shift mixed), shifted by whole pixels, or copied; flipped either way.
std::vector<ImageTransform> random_image_transforms(std::int64_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> near_one(0.8, 1.2), small(-0.3, 0.3), shift(-6.0, 6.0);
  std::vector<ImageTransform> t(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::size_t kind = i % 3;
    if (kind == 0) t[i] = {{near_one(gen), small(gen), shift(gen), small(gen), near_one(gen), shift(gen)}, true};
    if (kind == 1) t[i] = {{1, 0, std::round(shift(gen)), 0, 1, std::round(shift(gen))}, true};
    t[i].flip_horizontal = gen() % 2 == 1;
    t[i].flip_vertical = gen() % 2 == 1;
  }
  return t;
}
}  // namespace

TEST_CASE(KERASCPP_PARITY_SUBJECT ": image augmentation, every fill mode and order, uint8 and float32, three results") {
  PARITY_SUBJECT_OR_SKIP();
  const std::int64_t n = 7, h = 9, w = 13, c = 3, values = n * h * w * c;
  const auto transforms = random_image_transforms(n, 300);
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(values));
  std::mt19937 gen(301);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(gen() % 256);
  const auto floats = random_values(static_cast<std::size_t>(values), 302, -3.0f, 300.0f);
  for (const ImageFill fill : {ImageFill::constant, ImageFill::nearest, ImageFill::reflect, ImageFill::wrap}) {
    for (const int order : {0, 1}) {
      for (const DType source : {uint8, float32}) {
        for (const DType result : {float32, bfloat16, float16}) {
          CAPTURE(static_cast<int>(fill));
          CAPTURE(order);
          CAPTURE(to_string(source));
          CAPTURE(to_string(result));
          ImageAugmentation a;
          a.batch = n, a.height = h, a.width = w, a.channels = c;
          a.source = source, a.result = result, a.fill = fill, a.interpolation_order = order, a.cval = 7.5;
          a.rescale = order == 1, a.rescale_factor = 1.0f / 255.0f;
          a.center = fill != ImageFill::wrap, a.mean[0] = 0.4f, a.mean[1] = 120.0f, a.mean[2] = -3.0f;
          a.normalize = fill == ImageFill::constant || fill == ImageFill::reflect;
          a.std[0] = 0.25f, a.std[1] = 64.0f, a.std[2] = 0.0f;
          const void* x = source == uint8 ? static_cast<const void*>(pixels.data()) : floats.data();
          const std::size_t bytes = static_cast<std::size_t>(values) * size_of(result);
          std::vector<unsigned char> y_ref(bytes), y_sub(bytes, 0xAB);
          ref().augment_images(a, transforms.data(), x, y_ref.data());
          subject().augment_images(a, transforms.data(), x, y_sub.data());
          CHECK(y_sub == y_ref);
        }
      }
    }
  }
  ImageAugmentation bad;
  bad.batch = 1, bad.height = 2, bad.width = 2, bad.channels = 1, bad.source = int32;
  std::vector<float> out(4);
  CHECK_THROWS_AS(subject().augment_images(bad, transforms.data(), pixels.data(), out.data()), BackendError);
}

#if KERASCPP_PARITY_PRIMARY
TEST_CASE(KERASCPP_PARITY_SUBJECT ": errors from oneDNN become BackendErrors naming the kernel") {
  PARITY_SUBJECT_OR_SKIP();
  Conv2DGeometry g;  // 2 groups cannot split 3 input channels: oneDNN refuses it
  g.batch = 1, g.in_h = 4, g.in_w = 4, g.in_c = 3, g.kernel_h = 3, g.kernel_w = 3, g.out_c = 2;
  g.out_h = 2, g.out_w = 2, g.groups = 2;
  std::vector<float> buffer(1000);
  try {
    subject().conv2d_forward(g, buffer.data(), buffer.data(), nullptr, FusedActivation::none, buffer.data());
    FAIL("expected a BackendError");
  } catch (const BackendError& e) {
    CHECK(std::string(e.what()).find("conv2d forward") != std::string::npos);
  }
}

#endif  // KERASCPP_PARITY_PRIMARY

#elif KERASCPP_PARITY_PRIMARY

TEST_CASE(KERASCPP_PARITY_SUBJECT ": not built") {
  MESSAGE("SKIPPED cpu backend parity: this build has no CPU backend (KERASCPP_WITH_CPU=OFF)");
  CHECK_THROWS_AS(backend::get("cpu"), BackendError);
}

#endif
