// The CPU backend against the reference on inputs holding NaN, +inf and -inf, kernel by kernel,
// forward and backward: every output must be NaN, +inf, -inf or finite exactly where the
// reference's is, and the finite ones must agree as in cpu_parity_test.cpp. Then a CNN trained
// on data with one NaN pixel must stop through TerminateOnNaN on every backend, as in Keras.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "support/stored_values.hpp"
#include "parity_subject.hpp"

using namespace keras;
using namespace keras::layers;
using keras::testing::Stored;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Random values in [low, high) with about one element in `spacing` replaced by NaN, +inf or
// -inf (in turn), at positions that depend on the seed.
[[maybe_unused]] std::vector<float> values_with_specials(std::size_t n, unsigned seed, std::size_t spacing = 40,
                                        float low = -1.0f, float high = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::uniform_int_distribution<std::size_t> gap(1, 2 * spacing);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  const float specials[3] = {kNaN, kInf, -kInf};
  std::size_t k = 0;
  for (std::size_t i = gap(gen) % n; i < n; i += gap(gen)) v[i] = specials[k++ % 3];
  return v;
}

int kind_of(float v) { return std::isnan(v) ? 0 : (std::isinf(v) ? (v > 0 ? 1 : 2) : 3); }
const char* kind_name(int k) { return k == 0 ? "NaN" : k == 1 ? "+inf" : k == 2 ? "-inf" : "finite"; }

// Empty when `got` has the reference's non-finite values in the same places and its finite
// values agree (relative to the largest finite reference value); else what differs first.
[[maybe_unused]] std::string mismatch(const std::vector<float>& got, const std::vector<float>& want, double tolerance = 1e-4) {
  if (got.size() != want.size()) return "sizes differ";
  double scale = 0.0;
  for (float w : want) {
    if (std::isfinite(w)) scale = std::max(scale, std::fabs(static_cast<double>(w)));
  }
  std::size_t nonfinite = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const int kg = kind_of(got[i]), kw = kind_of(want[i]);
    nonfinite += kw != 3;
    std::ostringstream s;
    if (kg != kw) {
      s << "element " << i << ": " KERASCPP_PARITY_SUBJECT " " << got[i] << " (" << kind_name(kg) << "), reference " << want[i];
      return s.str();
    }
    if (kw == 3 && std::fabs(static_cast<double>(got[i]) - want[i]) > tolerance * std::max(scale, 1e-30)) {
      s << "element " << i << ": " KERASCPP_PARITY_SUBJECT " " << got[i] << ", reference " << want[i];
      return s.str();
    }
  }
  return "";
}

#define CHECK_SAME_PLACES(got, want) CHECK_MESSAGE(mismatch(got, want).empty(), mismatch(got, want))
#define CHECK_SAME_PLACES_WITHIN(got, want, tolerance) \
  CHECK_MESSAGE(mismatch(got, want, tolerance).empty(), mismatch(got, want, tolerance))

}  // namespace

#if KERASCPP_PARITY_BUILT

namespace {
Backend& ref() { return backend::get("reference"); }
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: convolutions forward (bias, relu), backward data and filter") {
  PARITY_SUBJECT_OR_SKIP();
  struct Case { std::int64_t n, h, w, c, k, out, stride, groups; };
  for (const Case& k : std::vector<Case>{{2, 9, 9, 5, 3, 6, 1, 1}, {2, 8, 7, 6, 3, 6, 2, 6}, {2, 16, 16, 32, 3, 64, 1, 1}}) {
    for (const DType dtype : {float32, bfloat16, float16}) {
      Conv2DGeometry g;
      g.batch = k.n, g.in_h = k.h, g.in_w = k.w, g.in_c = k.c, g.kernel_h = g.kernel_w = k.k;
      g.out_c = k.out, g.stride_h = g.stride_w = k.stride, g.groups = k.groups, g.dtype = dtype;
      g.out_h = ceil_div(k.h, k.stride), g.out_w = ceil_div(k.w, k.stride);  // "same"
      g.pad_top = std::max<std::int64_t>(0, (g.out_h - 1) * k.stride + k.k - k.h) / 2;
      g.pad_left = std::max<std::int64_t>(0, (g.out_w - 1) * k.stride + k.k - k.w) / 2;
      const std::int64_t in = k.n * k.h * k.w * k.c, out = k.n * g.out_h * g.out_w * k.out;
      const std::int64_t kernel = k.k * k.k * (k.c / k.groups) * k.out;
      const double tolerance = keras::testing::storage_tolerance(dtype);
      CAPTURE(k.c);
      CAPTURE(to_string(dtype));
      // Sparse specials in x (so finite windows remain), one NaN weight, one infinite bias.
      const Stored x(values_with_specials(in, 1, 400), dtype), dy(values_with_specials(out, 2, 400), dtype);
      auto w = values_with_specials(kernel, 3, 1u << 30);
      w[kernel / 2] = kNaN;
      auto bias_values = values_with_specials(k.out, 4, 1u << 30);
      bias_values[0] = -kInf;
      const Stored bias(bias_values, dtype), nan_w(w, dtype), clean_w(values_with_specials(kernel, 5, 1u << 30), dtype);
      for (const Stored* weights : {&clean_w, &nan_w}) {
        for (const FusedActivation act : {FusedActivation::none, FusedActivation::relu}) {
          for (const void* b : {static_cast<const void*>(nullptr), bias.data()}) {
            Stored y_ref = Stored::garbage(out, dtype), y_cpu = Stored::garbage(out, dtype);
            ref().conv2d_forward(g, x.data(), weights->data(), b, act, y_ref.data());
            subject().conv2d_forward(g, x.data(), weights->data(), b, act, y_cpu.data());
            CHECK_SAME_PLACES_WITHIN(y_cpu.widened(), y_ref.widened(), tolerance);
          }
        }
        Stored dx_ref = Stored::garbage(in, dtype), dx_cpu = Stored::garbage(in, dtype);
        ref().conv2d_backward_data(g, dy.data(), weights->data(), dx_ref.data());
        subject().conv2d_backward_data(g, dy.data(), weights->data(), dx_cpu.data());
        CHECK_SAME_PLACES_WITHIN(dx_cpu.widened(), dx_ref.widened(), tolerance);
      }
      Stored dw_ref = Stored::garbage(kernel, dtype), dw_cpu = Stored::garbage(kernel, dtype);
      ref().conv2d_backward_filter(g, x.data(), dy.data(), dw_ref.data());
      subject().conv2d_backward_filter(g, x.data(), dy.data(), dw_cpu.data());
      CHECK_SAME_PLACES_WITHIN(dw_cpu.widened(), dw_ref.widened(), tolerance);
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: gemm, every storage type, every transpose") {
  PARITY_SUBJECT_OR_SKIP();
  for (const DType dtype : {float32, bfloat16, float16}) {
    for (int t = 0; t < 4; ++t) {
      const std::int64_t m = 33, n = 17, k = 65;
      const Stored a(values_with_specials(m * k, 11 + t, 200), dtype), b(values_with_specials(k * n, 21 + t, 300), dtype);
      for (const float beta : {0.0f, 0.5f}) {
        Stored c_ref(values_with_specials(m * n, 31, 1u << 30), dtype);
        Stored c_cpu = c_ref;
        ref().gemm(t & 1, t & 2, m, n, k, 1.5f, a.data(), b.data(), beta, c_ref.data(), dtype);
        subject().gemm(t & 1, t & 2, m, n, k, 1.5f, a.data(), b.data(), beta, c_cpu.data(), dtype);
        CAPTURE(t);
        CAPTURE(to_string(dtype));
        CHECK_SAME_PLACES_WITHIN(c_cpu.widened(), c_ref.widened(), keras::testing::storage_tolerance(dtype));
      }
    }
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: max and average pooling, forward and backward") {
  PARITY_SUBJECT_OR_SKIP();
  Pool2DGeometry g;
  g.batch = 2, g.in_h = 9, g.in_w = 7, g.channels = 19, g.pool_h = g.pool_w = 3, g.stride_h = g.stride_w = 2;
  g.out_h = 5, g.out_w = 4, g.pad_top = 1, g.pad_left = 1;
  const std::int64_t in = 2 * 9 * 7 * 19, out = 2 * 5 * 4 * 19;
  auto x = values_with_specials(in, 41, 30);
  std::fill(x.begin(), x.begin() + 19, -kInf);  // a window of -inf only, in every channel
  const auto dy = values_with_specials(out, 42, 1u << 30);
  for (const PoolMode mode : {PoolMode::max, PoolMode::average}) {
    CAPTURE(static_cast<int>(mode));
    std::vector<float> y_ref(out), y_cpu(out), dx_ref(in), dx_cpu(in);
    ref().pool2d_forward(mode, g, x.data(), y_ref.data());
    subject().pool2d_forward(mode, g, x.data(), y_cpu.data());
    CHECK_SAME_PLACES(y_cpu, y_ref);
    ref().pool2d_backward(mode, g, x.data(), y_ref.data(), dy.data(), dx_ref.data());
    subject().pool2d_backward(mode, g, x.data(), y_ref.data(), dy.data(), dx_cpu.data());
    CHECK_SAME_PLACES(dx_cpu, dx_ref);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: batch normalization training, inference and backward") {
  PARITY_SUBJECT_OR_SKIP();
  const std::int64_t rows = 64, channels = 24;
  auto x = values_with_specials(rows * channels, 51, 1u << 30, -2.0f, 3.0f);
  x[5 * channels + 3] = kNaN, x[9 * channels + 7] = kInf, x[2 * channels + 11] = -kInf;
  const auto dy = values_with_specials(rows * channels, 52, 1u << 30);
  const auto gamma = values_with_specials(channels, 53, 1u << 30, 0.5f, 1.5f);
  const auto beta = values_with_specials(channels, 54, 1u << 30);
  std::vector<float> y_ref(rows * channels), y_cpu(rows * channels), mean_ref(channels), var_ref(channels),
      mean_cpu(channels), var_cpu(channels);
  ref().batch_norm_training(x.data(), gamma.data(), beta.data(), rows, channels, 1e-3f, y_ref.data(), mean_ref.data(), var_ref.data());
  subject().batch_norm_training(x.data(), gamma.data(), beta.data(), rows, channels, 1e-3f, y_cpu.data(), mean_cpu.data(), var_cpu.data());
  CHECK_SAME_PLACES(y_cpu, y_ref);
  CHECK_SAME_PLACES(mean_cpu, mean_ref);
  CHECK_SAME_PLACES(var_cpu, var_ref);
  // Inference with finite statistics: only the non-finite inputs' own outputs are non-finite.
  const auto mean = values_with_specials(channels, 55, 1u << 30), var = values_with_specials(channels, 56, 1u << 30, 0.5f, 2.0f);
  ref().batch_norm_inference(x.data(), gamma.data(), beta.data(), mean.data(), var.data(), rows, channels, 1e-3f, y_ref.data());
  subject().batch_norm_inference(x.data(), gamma.data(), beta.data(), mean.data(), var.data(), rows, channels, 1e-3f, y_cpu.data());
  CHECK_SAME_PLACES(y_cpu, y_ref);
  std::vector<float> dx_ref(rows * channels), dx_cpu(rows * channels), dg_ref(channels), dg_cpu(channels),
      db_ref(channels), db_cpu(channels);
  ref().batch_norm_backward(dy.data(), x.data(), gamma.data(), mean_ref.data(), var_ref.data(), rows, channels, 1e-3f,
                            dx_ref.data(), dg_ref.data(), db_ref.data());
  subject().batch_norm_backward(dy.data(), x.data(), gamma.data(), mean_ref.data(), var_ref.data(), rows, channels, 1e-3f,
                            dx_cpu.data(), dg_cpu.data(), db_cpu.data());
  CHECK_SAME_PLACES(dx_cpu, dx_ref);
  CHECK_SAME_PLACES(dg_cpu, dg_ref);
  CHECK_SAME_PLACES(db_cpu, db_ref);
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: softmax and log-softmax rows, forward and backward") {
  PARITY_SUBJECT_OR_SKIP();
  const std::int64_t rows = 8, cols = 10;
  auto x = values_with_specials(rows * cols, 61, 1u << 30, -5.0f, 5.0f);
  x[0] = kNaN;                 // row 0: NaN first, as [[nan, 1, 2]]
  x[1 * cols + 7] = kNaN;      // row 1: NaN after the maximum
  x[2 * cols + 3] = kInf;      // row 2: +inf
  x[3 * cols + 4] = -kInf;     // row 3: one -inf (finite result, a zero)
  std::fill(x.begin() + 4 * cols, x.begin() + 5 * cols, -kInf);  // row 4: all -inf
  auto dy = values_with_specials(rows * cols, 62, 1u << 30);
  dy[6 * cols + 2] = kNaN;     // row 6: a NaN gradient
  for (const bool log : {false, true}) {
    CAPTURE(log);
    std::vector<float> y_ref(rows * cols), y_cpu(rows * cols), dx_ref(rows * cols), dx_cpu(rows * cols);
    ref().softmax_forward(x.data(), y_ref.data(), rows, cols, log);
    subject().softmax_forward(x.data(), y_cpu.data(), rows, cols, log);
    for (std::int64_t j = 0; j < cols; ++j) CHECK(std::isnan(y_cpu[j]));  // the whole row
    CHECK_SAME_PLACES(y_cpu, y_ref);
    ref().softmax_backward(y_ref.data(), dy.data(), dx_ref.data(), rows, cols, log);
    subject().softmax_backward(y_ref.data(), dy.data(), dx_cpu.data(), rows, cols, log);
    CHECK_SAME_PLACES(dx_cpu, dx_ref);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: resizing, padding, cropping, gathers and copies") {
  PARITY_SUBJECT_OR_SKIP();
  const auto x = values_with_specials(2 * 5 * 7 * 3, 71, 20);
  for (const Interpolation mode : {Interpolation::nearest, Interpolation::bilinear}) {
    std::vector<float> y_ref(2 * 9 * 4 * 3), y_cpu(y_ref.size()), dx_ref(x.size()), dx_cpu(x.size());
    ref().resize2d_forward(mode, x.data(), 2, 5, 7, 3, y_ref.data(), 9, 4);
    subject().resize2d_forward(mode, x.data(), 2, 5, 7, 3, y_cpu.data(), 9, 4);
    CHECK_SAME_PLACES(y_cpu, y_ref);
    const auto dy = values_with_specials(y_ref.size(), 72, 20);
    ref().resize2d_backward(mode, dy.data(), 2, 5, 7, 3, dx_ref.data(), 9, 4);
    subject().resize2d_backward(mode, dy.data(), 2, 5, 7, 3, dx_cpu.data(), 9, 4);
    CHECK_SAME_PLACES(dx_cpu, dx_ref);
  }
  std::vector<float> p_ref(2 * 8 * 11 * 3), p_cpu(p_ref.size());
  ref().pad2d(x.data(), p_ref.data(), 2, 5, 7, 3, 1, 2, 3, 1, kNaN);
  subject().pad2d(x.data(), p_cpu.data(), 2, 5, 7, 3, 1, 2, 3, 1, kNaN);
  CHECK_SAME_PLACES(p_cpu, p_ref);
  std::vector<float> c_ref(2 * 2 * 3 * 3), c_cpu(c_ref.size());
  ref().crop2d(x.data(), c_ref.data(), 2, 5, 7, 3, 1, 2, 3, 1);
  subject().crop2d(x.data(), c_cpu.data(), 2, 5, 7, 3, 1, 2, 3, 1);
  CHECK_SAME_PLACES(c_cpu, c_ref);
  for (const bool accumulate : {false, true}) {
    std::vector<float> d_ref(10 * 12, 1.0f), d_cpu(d_ref);
    d_ref[5] = d_cpu[5] = -kInf;
    ref().copy_rows(x.data(), 21, 2, d_ref.data(), 12, 3, 10, 8, accumulate);
    subject().copy_rows(x.data(), 21, 2, d_cpu.data(), 12, 3, 10, 8, accumulate);
    CHECK_SAME_PLACES(d_cpu, d_ref);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: element-wise functions and their derivatives") {
  PARITY_SUBJECT_OR_SKIP();
  const std::size_t n = 70001;
  const auto x = values_with_specials(n, 81, 50, -3.0f, 3.0f), dy = values_with_specials(n, 82, 50);
  const std::vector<std::pair<UnaryOp, UnaryParams>> cases = {
      {UnaryOp::relu, {0.0f, 0.0f, kInf}}, {UnaryOp::relu, {0.1f, 0.5f, 2.0f}}, {UnaryOp::relu, {0.0f, 0.0f, 6.0f}},
      {UnaryOp::elu, {1.0f, 0, 0}},        {UnaryOp::leaky_relu, {0.3f, 0, 0}}, {UnaryOp::gelu, {}},
      {UnaryOp::sigmoid, {}},              {UnaryOp::tanh, {}},                 {UnaryOp::exp, {}},
      {UnaryOp::log, {}},                  {UnaryOp::sqrt, {}},                 {UnaryOp::square, {}},
      {UnaryOp::abs, {}},                  {UnaryOp::neg, {}},                  {UnaryOp::clip, {-0.5f, 0.7f, 0}},
      {UnaryOp::reciprocal, {}}};
  for (const auto& [op, p] : cases) {
    CAPTURE(static_cast<int>(op));
    std::vector<float> y_ref(n), y_cpu(n), dx_ref(n), dx_cpu(n);
    ref().unary(op, p, x.data(), y_ref.data(), n);
    subject().unary(op, p, x.data(), y_cpu.data(), n);
    CHECK_SAME_PLACES(y_cpu, y_ref);
    ref().unary_backward(op, p, x.data(), y_ref.data(), dy.data(), dx_ref.data(), n);
    subject().unary_backward(op, p, x.data(), y_ref.data(), dy.data(), dx_cpu.data(), n);
    CHECK_SAME_PLACES(dx_cpu, dx_ref);
  }
  // The rules themselves, as TensorFlow has them.
  std::vector<float> special{kNaN, -kInf, kInf, -1.0f}, y(4);
  subject().unary(UnaryOp::relu, {0.0f, 0.0f, kInf}, special.data(), y.data(), 4);
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 0.0f);
  CHECK(y[2] == kInf);
  CHECK(y[3] == 0.0f);
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: broadcast arithmetic, masks, affine, bias_add") {
  PARITY_SUBJECT_OR_SKIP();
  const BroadcastSpec spec{{64, 100}, {100, 1}, {0, 1}};
  const auto a = values_with_specials(6400, 91, 30), b = values_with_specials(100, 92, 10);
  for (const BinaryOp op : {BinaryOp::add, BinaryOp::subtract, BinaryOp::multiply, BinaryOp::divide,
                            BinaryOp::maximum, BinaryOp::minimum, BinaryOp::greater, BinaryOp::equal}) {
    CAPTURE(static_cast<int>(op));
    std::vector<float> y_ref(6400), y_cpu(6400);
    ref().binary(op, a.data(), b.data(), y_ref.data(), spec);
    subject().binary(op, a.data(), b.data(), y_cpu.data(), spec);
    CHECK_SAME_PLACES(y_cpu, y_ref);
  }
  for (const BinaryOp op : {BinaryOp::maximum, BinaryOp::minimum}) {
    std::vector<float> m_ref(6400), m_cpu(6400);
    ref().select_mask(op, a.data(), b.data(), m_ref.data(), spec);
    subject().select_mask(op, a.data(), b.data(), m_cpu.data(), spec);
    CHECK(m_cpu == m_ref);
  }
  std::vector<float> pair{kNaN, 1.0f}, out(2);
  const BroadcastSpec two{{2}, {1}, {0}};
  subject().binary(BinaryOp::maximum, pair.data(), pair.data() + 1, out.data(), two);  // max(nan, 1), max(1, 1)
  CHECK(std::isnan(out[0]));
  subject().binary(BinaryOp::maximum, pair.data() + 1, pair.data(), out.data(), BroadcastSpec{{1}, {0}, {0}});
  CHECK(std::isnan(out[0]));  // max(1, nan)
  std::vector<float> y_ref(6400), y_cpu(6400);
  ref().affine(a.data(), y_ref.data(), 6400, -1.5f, 0.25f);
  subject().affine(a.data(), y_cpu.data(), 6400, -1.5f, 0.25f);
  CHECK_SAME_PLACES(y_cpu, y_ref);
  for (const FusedActivation act : {FusedActivation::none, FusedActivation::relu}) {
    ref().bias_add(a.data(), b.data(), y_ref.data(), 64, 100, act);
    subject().bias_add(a.data(), b.data(), y_cpu.data(), 64, 100, act);
    CHECK_SAME_PLACES(y_cpu, y_ref);
  }
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: reductions, argmax, expansions and scatters") {
  PARITY_SUBJECT_OR_SKIP();
  struct Case { std::int64_t outer, mid, inner; };
  for (const auto& c : std::vector<Case>{{1, 4096, 16}, {64, 100, 1}, {3, 5, 7}}) {
    CAPTURE(c.mid);
    const std::int64_t in = c.outer * c.mid * c.inner, out = c.outer * c.inner;
    const auto x = values_with_specials(in, 101, 60), dy = values_with_specials(out, 102, 20);
    std::vector<float> s_ref(out), s_cpu(out), m_ref(out), m_cpu(out);
    std::vector<std::int32_t> a_ref(out), a_cpu(out);
    ref().reduce_sum(x.data(), s_ref.data(), c.outer, c.mid, c.inner);
    subject().reduce_sum(x.data(), s_cpu.data(), c.outer, c.mid, c.inner);
    CHECK_SAME_PLACES(s_cpu, s_ref);
    ref().reduce_max(x.data(), m_ref.data(), a_ref.data(), c.outer, c.mid, c.inner);
    subject().reduce_max(x.data(), m_cpu.data(), a_cpu.data(), c.outer, c.mid, c.inner);
    CHECK_SAME_PLACES(m_cpu, m_ref);
    CHECK(a_cpu == a_ref);
    std::vector<float> e_ref(in), e_cpu(in);
    ref().expand_mid(dy.data(), e_ref.data(), c.outer, c.mid, c.inner, 0.5f);
    subject().expand_mid(dy.data(), e_cpu.data(), c.outer, c.mid, c.inner, 0.5f);
    CHECK_SAME_PLACES(e_cpu, e_ref);
    ref().scatter_argmax(dy.data(), a_ref.data(), e_ref.data(), c.outer, c.mid, c.inner);
    subject().scatter_argmax(dy.data(), a_ref.data(), e_cpu.data(), c.outer, c.mid, c.inner);
    CHECK_SAME_PLACES(e_cpu, e_ref);
  }
  const std::vector<float> column{1.0f, kNaN, 3.0f};  // a NaN anywhere is the maximum
  std::vector<float> top(1);
  std::vector<std::int32_t> where(1);
  subject().reduce_max(column.data(), top.data(), where.data(), 1, 3, 1);
  CHECK(std::isnan(top[0]));
  CHECK(where[0] == 1);
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: optimizer updates with NaN and infinite gradients") {
  PARITY_SUBJECT_OR_SKIP();
  const std::size_t n = 50003;
  const auto g = values_with_specials(n, 111, 100);
  const auto var0 = values_with_specials(n, 112, 1u << 30), m0 = values_with_specials(n, 113, 1u << 30);
  const auto v0 = values_with_specials(n, 114, 1u << 30, 0.0f, 1.0f);
  auto var_r = var0, m_r = m0, v_r = v0, var_c = var0, m_c = m0, v_c = v0;
  ref().adam_update(var_r.data(), m_r.data(), v_r.data(), nullptr, g.data(), n, 1e-3f, 0.1f, 0.001f, 1e-7f);
  subject().adam_update(var_c.data(), m_c.data(), v_c.data(), nullptr, g.data(), n, 1e-3f, 0.1f, 0.001f, 1e-7f);
  CHECK_SAME_PLACES(var_c, var_r);
  CHECK_SAME_PLACES(v_c, v_r);
  var_r = var_c = var0, m_r = m_c = m0;
  ref().sgd_update(var_r.data(), m_r.data(), g.data(), n, 0.01f, 0.9f, true);
  subject().sgd_update(var_c.data(), m_c.data(), g.data(), n, 0.01f, 0.9f, true);
  CHECK_SAME_PLACES(var_c, var_r);
  var_r = var_c = var0, v_r = v_c = v0;
  ref().rmsprop_update(var_r.data(), v_r.data(), nullptr, nullptr, g.data(), n, 1e-3f, 0.9f, 0.0f, 1e-7f);
  subject().rmsprop_update(var_c.data(), v_c.data(), nullptr, nullptr, g.data(), n, 1e-3f, 0.9f, 0.0f, 1e-7f);
  CHECK_SAME_PLACES(var_c, var_r);
}

TEST_CASE(KERASCPP_PARITY_SUBJECT ", non-finite inputs: image augmentation samples NaN and infinities as the reference") {
  PARITY_SUBJECT_OR_SKIP();
  const std::int64_t n = 2, h = 6, w = 5, c = 2, values = n * h * w * c;
  std::vector<float> x(static_cast<std::size_t>(values));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 17) - 4.0f;
  x[7] = kNaN, x[30] = kInf, x[41] = -kInf, x[77] = kNaN;
  std::vector<ImageTransform> t(2);
  t[0] = {{0.9, 0.2, 0.7, -0.1, 1.1, -0.4}, true};
  t[1].flip_horizontal = true;  // copied as it is: NaN and infinities kept
  for (const ImageFill fill : {ImageFill::constant, ImageFill::nearest, ImageFill::reflect, ImageFill::wrap}) {
    for (const int order : {0, 1}) {
      CAPTURE(static_cast<int>(fill));
      CAPTURE(order);
      ImageAugmentation a;
      a.batch = n, a.height = h, a.width = w, a.channels = c, a.source = float32, a.fill = fill;
      a.interpolation_order = order, a.cval = kNaN;
      a.center = true, a.mean[0] = kInf;
      std::vector<float> y_ref(x.size()), y_sub(x.size(), 0.5f);
      ref().augment_images(a, t.data(), x.data(), y_ref.data());
      subject().augment_images(a, t.data(), x.data(), y_sub.data());
      CHECK_SAME_PLACES_WITHIN(y_sub, y_ref, 0.0);
    }
  }
}

#endif  // KERASCPP_PARITY_BUILT

#if KERASCPP_PARITY_PRIMARY
// Runs on the default backend here; suite_on_reference_backend runs it on the reference too.
TEST_CASE("a CNN trained on data with one NaN pixel stops through TerminateOnNaN") {
  utils::set_random_seed(3);
  Tensor x = random::uniform({32, 8, 8, 1});
  x.set<float>({5, 3, 4, 0}, kNaN);
  const Tensor y = Tensor::from_vector(std::vector<std::int32_t>(32, 1), {32});
  Sequential model({Input({8, 8, 1}), Conv2D(4, 3, {.activation = "relu"}), MaxPooling2D(2), Flatten(),
                    Dense(3, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  int batches = 0;
  auto count = callbacks::LambdaCallback({.on_train_batch_end = [&](int, callbacks::Logs&) { ++batches; }});
  const auto history = model.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0,
                                        .callbacks = {count, callbacks::TerminateOnNaN()}, .shuffle = false});
  MESSAGE("backend " << backend::active_name() << ": stopped after " << batches << " batches");
  CHECK(batches == 1);  // the NaN pixel is in the first batch: its loss is NaN
  CHECK(history.epoch.size() == 1);
  CHECK(std::isnan(history.history.at("loss").front()));
}
#endif  // KERASCPP_PARITY_PRIMARY
