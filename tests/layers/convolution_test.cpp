#include <doctest/doctest.h>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::Layout;

TEST_CASE("Conv2D: shapes for padding and strides, weight order, params, training") {
  Conv2D conv(8, 3, {.strides = 2, .padding = "same", .activation = "relu"});
  CHECK(conv(Input({15, 16, 3})).shape() == Shape{-1, 8, 8, 8});
  CHECK(test_support::weight_layout(*conv) == Layout{{"kernel", {3, 3, 3, 8}}, {"bias", {8}}});
  CHECK(conv->count_params() == 3 * 3 * 3 * 8 + 8);
  CHECK(Conv2D(4, {3, 5})(Input({10, 10, 2})).shape() == Shape{-1, 8, 6, 4});
  CHECK(Conv2D(4, 3, {.dilation_rate = 2})(Input({10, 10, 2})).shape() == Shape{-1, 6, 6, 4});
  Conv2D grouped(6, 3, {.groups = 3});
  grouped(Input({5, 5, 9}));
  CHECK(grouped->kernel()->shape() == Shape{3, 3, 3, 6});
  CHECK_THROWS_AS(Conv2D(4, 3, {.padding = "full"}), ValueError);
  CHECK_THROWS_AS(Conv2D(4, 3, {.data_format = "channels_first"}), ValueError);
  CHECK_THROWS_AS(Conv2D(4, 5)(Input({3, 3, 1})), ShapeError);
  CHECK_THROWS_AS(conv(Tensor::ones({1, 8, 8, 4})), ShapeError);

  Sequential model({Input({6, 6, 2}), Conv2D(4, 3, {.padding = "same", .activation = "relu"}),
                    Conv2D(3, 3, {.strides = 2}), Flatten(), Dense(2)});
  test_support::check_training_step(model, test_support::uniform({4, 6, 6, 2}, 1),
                                    test_support::uniform({4, 2}, 2));
}

TEST_CASE("DepthwiseConv2D: Keras 3 weights (kernel (kh, kw, in, multiplier)), per-channel filters") {
  DepthwiseConv2D dw(3, {.padding = "same", .depth_multiplier = 2});
  CHECK(dw(Input({7, 7, 4})).shape() == Shape{-1, 7, 7, 8});
  CHECK(test_support::weight_layout(*dw) == Layout{{"kernel", {3, 3, 4, 2}}, {"bias", {8}}});
  // Each output channel c*m + j sees input channel c only.
  const Tensor x = test_support::uniform({1, 5, 5, 4}, 3);
  DepthwiseConv2D single(3, {.use_bias = false});
  const Tensor y = single(x);
  const Tensor k = single->depthwise_kernel()->value();
  double expected = 0;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) expected += double(x.at<float>({0, 1 + a, 2 + b, 2})) * k.at<float>({a, b, 2, 0});
  CHECK(y.at<float>({0, 1, 2, 2}) == doctest::Approx(expected).epsilon(1e-5));

  Sequential model({Input({5, 5, 3}), DepthwiseConv2D(3, {.activation = "relu"}), Flatten(), Dense(2)});
  test_support::check_training_step(model, test_support::uniform({4, 5, 5, 3}, 4),
                                    test_support::uniform({4, 2}, 5));
}

TEST_CASE("SeparableConv2D: depthwise then pointwise, Keras weight order") {
  SeparableConv2D sep(6, 3, {.padding = "same", .depth_multiplier = 2});
  CHECK(sep(Input({8, 8, 3})).shape() == Shape{-1, 8, 8, 6});
  CHECK(test_support::weight_layout(*sep) ==
        Layout{{"depthwise_kernel", {3, 3, 3, 2}}, {"pointwise_kernel", {1, 1, 6, 6}}, {"bias", {6}}});
  CHECK(sep->count_params() == 54 + 36 + 6);
  const Tensor x = test_support::uniform({2, 6, 6, 3}, 6);
  const Tensor expected = ops::bias_add(
      ops::conv2d(ops::conv2d(x, ops::reshape(sep->depthwise_kernel()->value(), {3, 3, 1, 6}),
                              {.padding = "same", .groups = 3}),
                  sep->pointwise_kernel()->value()),
      sep->bias()->value());
  CHECK(test_support::max_abs_diff(sep(x).detach(), expected.detach()) < 1e-5);
  Sequential model({Input({6, 6, 3}), SeparableConv2D(4, 3), Flatten(), Dense(2)});
  test_support::check_training_step(model, x, test_support::uniform({2, 2}, 7));
}
