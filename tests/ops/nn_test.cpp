#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"

using namespace keras;
using test_support::check_gradients;
using test_support::uniform;

namespace {
// Convolution straight from its definition, in double, with TensorFlow's "same" padding.
std::vector<double> direct_conv(const Tensor& x, const Tensor& w, const ops::Conv2DOptions& o) {
  const auto xv = x.to_vector<float>(), wv = w.to_vector<float>();
  const std::int64_t n = x.dim(0), h = x.dim(1), wd = x.dim(2), c = x.dim(3);
  const std::int64_t kh = w.dim(0), kw = w.dim(1), cg = w.dim(2), out_c = w.dim(3);
  const std::int64_t og = out_c / o.groups;
  const std::int64_t oh = ops::conv_output_length(h, kh, o.stride_h, o.dilation_h, o.padding);
  const std::int64_t ow = ops::conv_output_length(wd, kw, o.stride_w, o.dilation_w, o.padding);
  const std::int64_t pt = o.padding == "same" ? ops::same_padding_before(h, oh, kh, o.stride_h, o.dilation_h) : 0;
  const std::int64_t pl = o.padding == "same" ? ops::same_padding_before(wd, ow, kw, o.stride_w, o.dilation_w) : 0;
  std::vector<double> y(static_cast<std::size_t>(n * oh * ow * out_c), 0.0);
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t i = 0; i < oh; ++i)
      for (std::int64_t j = 0; j < ow; ++j)
        for (std::int64_t co = 0; co < out_c; ++co) {
          const std::int64_t g = co / og;
          double acc = 0.0;
          for (std::int64_t a = 0; a < kh; ++a)
            for (std::int64_t bb = 0; bb < kw; ++bb)
              for (std::int64_t ci = 0; ci < cg; ++ci) {
                const std::int64_t ih = i * o.stride_h - pt + a * o.dilation_h;
                const std::int64_t iw = j * o.stride_w - pl + bb * o.dilation_w;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                acc += double(xv[((b * h + ih) * wd + iw) * c + g * cg + ci]) *
                       wv[((a * kw + bb) * cg + ci) * out_c + co];
              }
          y[((b * oh + i) * ow + j) * out_c + co] = acc;
        }
  return y;
}

void check_conv_case(const Shape& x_shape, const Shape& w_shape, ops::Conv2DOptions o) {
  const Tensor x = uniform(x_shape, 31), w = uniform(w_shape, 32);
  const Tensor y = ops::conv2d(x, w, o);
  const auto expected = direct_conv(x, w, o);
  const auto got = y.to_vector<float>();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-4));
}
}  // namespace

TEST_CASE("conv2d matches its definition: strides, padding, dilation, groups, odd sizes") {
  check_conv_case({2, 5, 5, 3}, {3, 3, 3, 4}, {});
  check_conv_case({1, 7, 6, 2}, {3, 3, 2, 3}, {.stride_h = 2, .stride_w = 2, .padding = "same"});
  check_conv_case({2, 6, 7, 2}, {2, 2, 2, 2}, {.stride_h = 2, .stride_w = 2, .padding = "same"});
  check_conv_case({1, 9, 9, 2}, {3, 3, 2, 2}, {.padding = "same", .dilation_h = 2, .dilation_w = 2});
  check_conv_case({1, 5, 5, 4}, {3, 3, 2, 6}, {.padding = "same", .groups = 2});
  check_conv_case({1, 4, 4, 3}, {3, 3, 1, 3}, {.padding = "valid", .groups = 3});
  CHECK(ops::conv2d(uniform({1, 7, 6, 2}, 1), uniform({3, 3, 2, 3}, 2),
                    {.stride_h = 2, .stride_w = 2, .padding = "same"}).shape() == Shape{1, 4, 3, 3});
}

TEST_CASE("conv2d gradients (input, kernel, bias, fused relu)") {
  const Tensor x = uniform({2, 5, 5, 2}, 41), w = uniform({3, 3, 2, 3}, 42), b = uniform({3}, 43);
  check_gradients([](const auto& in) { return ops::conv2d(in[0], in[1]); }, {x, w});
  check_gradients([](const auto& in) {
    return ops::conv2d(in[0], in[1], {.stride_h = 2, .stride_w = 2, .padding = "same"});
  }, {x, w});
  check_gradients([](const auto& in) {
    return ops::conv2d(in[0], in[1], {.padding = "same", .dilation_h = 2, .dilation_w = 2});
  }, {x, w});
  check_gradients([](const auto& in) {
    return ops::conv2d_bias_activation(in[0], in[1], in[2], "linear", {.padding = "same"});
  }, {x, w, b});
  // relu: keep pre-activations away from 0 by a large bias spread.
  const Tensor spread = Tensor::from_vector<float>({-3.0f, 0.0f, 3.0f}, {3});
  check_gradients([](const auto& in) {
    return ops::conv2d_bias_activation(in[0], in[1], in[2], "relu");
  }, {x, w, spread}, {.epsilon = 1e-3, .rtol = 5e-2, .atol = 5e-3});
  check_gradients([](const auto& in) {
    return ops::conv2d_bias_activation(in[0], in[1], in[2], "tanh", {.padding = "same"});
  }, {x, w, b});
  const Tensor xg = uniform({1, 4, 4, 4}, 44), wg = uniform({3, 3, 1, 8}, 45);
  check_gradients([](const auto& in) {
    return ops::conv2d(in[0], in[1], {.padding = "same", .groups = 4});
  }, {xg, wg});
}

TEST_CASE("conv2d reports shape problems with both shapes") {
  CHECK_THROWS_AS(ops::conv2d(uniform({1, 4, 4, 3}, 1), uniform({3, 3, 2, 4}, 2)), ShapeError);
  CHECK_THROWS_AS(ops::conv2d(uniform({1, 2, 2, 3}, 1), uniform({3, 3, 3, 4}, 2)), ShapeError);
  CHECK_THROWS_AS(ops::conv2d(uniform({4, 4, 3}, 1), uniform({3, 3, 3, 4}, 2)), ShapeError);
}

TEST_CASE("pooling values, 'same' average excludes padding, and gradients") {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  CHECK(ops::max_pool2d(x).to_vector<float>() == std::vector<float>{5});
  CHECK(ops::max_pool2d(x, {.padding = "same"}).to_vector<float>() == std::vector<float>{5, 6, 8, 9});
  CHECK(ops::average_pool2d(x, {.padding = "same"}).to_vector<float>() ==
        std::vector<float>{3, 4.5f, 7.5f, 9});
  CHECK(ops::average_pool2d(x, {.pool_h = 3, .pool_w = 3, .stride_h = 1, .stride_w = 1}).item<float>() == 5);
  const Tensor d = test_support::distinct_values({2, 5, 5, 2}, 51, 0.0);
  check_gradients([](const auto& in) { return ops::max_pool2d(in[0]); }, {d}, {.epsilon = 1e-3});
  check_gradients([](const auto& in) { return ops::max_pool2d(in[0], {.padding = "same"}); }, {d},
                  {.epsilon = 1e-3});
  check_gradients([](const auto& in) {
    return ops::average_pool2d(in[0], {.pool_h = 3, .pool_w = 3, .stride_h = 2, .stride_w = 2, .padding = "same"});
  }, {d});
  check_gradients([](const auto& in) { return ops::global_average_pool2d(in[0]); }, {d});
  check_gradients([](const auto& in) { return ops::global_max_pool2d(in[0]); }, {d}, {.epsilon = 1e-3});
  CHECK(ops::global_average_pool2d(d, true).shape() == Shape{2, 1, 1, 2});
}

TEST_CASE("bias_add values and gradients") {
  const Tensor x = uniform({2, 3, 4}, 61), b = uniform({4}, 62);
  const Tensor y = ops::bias_add(x, b);
  CHECK(y.at<float>({1, 2, 3}) == doctest::Approx(x.at<float>({1, 2, 3}) + b.at<float>({3})));
  check_gradients([](const auto& in) { return ops::bias_add(in[0], in[1]); }, {x, b});
  CHECK_THROWS_AS(ops::bias_add(x, uniform({3}, 1)), ShapeError);
}

TEST_CASE("batch normalization: training statistics, inference, gradients") {
  const Tensor x = uniform({4, 3, 3, 2}, 71, -2.0f, 3.0f);
  const Tensor gamma = uniform({2}, 72, 0.5f, 1.5f), beta = uniform({2}, 73);
  auto r = ops::batch_normalization_training(x, Tensor::ones({2}), Tensor::zeros({2}), 1e-3f);
  const Tensor m = ops::mean(r.y, {0, 1, 2});
  const Tensor v = ops::mean(ops::square(r.y), {0, 1, 2});
  for (float value : m.to_vector<float>()) CHECK(value == doctest::Approx(0.0).epsilon(1e-5));
  for (float value : v.to_vector<float>()) CHECK(value == doctest::Approx(1.0).epsilon(1e-2));
  CHECK(r.batch_mean.to_vector<float>()[0] == doctest::Approx(ops::mean(x, {0, 1, 2}).to_vector<float>()[0]));
  check_gradients([](const auto& in) {
    return ops::batch_normalization_training(in[0], in[1], in[2], 1e-3f).y;
  }, {x, gamma, beta});
  const Tensor mean = uniform({2}, 74), var = uniform({2}, 75, 0.5f, 2.0f);
  const Tensor y = ops::batch_normalization_inference(x, gamma, beta, mean, var, 1e-3f);
  const float expected = (x.at<float>({1, 2, 0, 1}) - mean.at<float>({1})) /
                             std::sqrt(var.at<float>({1}) + 1e-3f) * gamma.at<float>({1}) + beta.at<float>({1});
  CHECK(y.at<float>({1, 2, 0, 1}) == doctest::Approx(expected));
  check_gradients([mean, var](const auto& in) {
    return ops::batch_normalization_inference(in[0], in[1], in[2], mean, var, 1e-3f);
  }, {x, gamma, beta});
}

TEST_CASE("dropout: seeded, scaled, rate respected, gradient through the mask") {
  const Tensor x = Tensor::ones({100, 100});
  const Tensor y = ops::dropout(x, 0.3f, 7);
  const auto v = y.to_vector<float>();
  std::size_t kept = 0;
  for (float e : v) {
    CHECK((e == 0.0f || e == doctest::Approx(1.0f / 0.7f)));
    kept += e != 0.0f;
  }
  CHECK(static_cast<double>(kept) / v.size() == doctest::Approx(0.7).epsilon(0.03));
  CHECK(ops::dropout(x, 0.3f, 7).to_vector<float>() == v);
  CHECK(ops::dropout(x, 0.3f, 8).to_vector<float>() != v);
  const Tensor spatial = ops::dropout(Tensor::ones({2, 4, 4, 8}), 0.5f, 3, Shape{2, 1, 1, 8});
  CHECK(spatial.at<float>({1, 0, 0, 5}) == spatial.at<float>({1, 3, 2, 5}));
  check_gradients([](const auto& in) { return ops::dropout(in[0], 0.4f, 11); }, {uniform({6, 5}, 81)});
  CHECK_THROWS_AS(ops::dropout(x, 1.0f, 1), ValueError);
}
