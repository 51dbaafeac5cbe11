#include <doctest/doctest.h>

#include "support/gradient_check.hpp"

using namespace keras;
using test_support::check_gradients;
using test_support::uniform;

TEST_CASE("reshape and flatten are views with gradients") {
  const Tensor x = uniform({2, 3, 4}, 1);
  const Tensor r = ops::reshape(x, {4, -1});
  CHECK(r.shape() == Shape{4, 6});
  CHECK(r.to_vector<float>() == x.to_vector<float>());
  CHECK(ops::flatten(x).shape() == Shape{2, 12});
  CHECK_THROWS_AS(ops::reshape(x, {5, -1}), ShapeError);
  check_gradients([](const auto& in) { return ops::reshape(in[0], {6, 4}); }, {x});
}

TEST_CASE("concatenate on any axis, with gradients") {
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  const Tensor b = Tensor::from_vector<float>({5, 6}, {2, 1});
  CHECK(ops::concatenate({a, b}, -1).to_vector<float>() == std::vector<float>{1, 2, 5, 3, 4, 6});
  CHECK(ops::concatenate({a, a}, 0).shape() == Shape{4, 2});
  CHECK_THROWS_AS(ops::concatenate({a, b}, 0), ShapeError);
  check_gradients([](const auto& in) { return ops::concatenate(in, -1); },
                  {uniform({2, 3, 3, 2}, 2), uniform({2, 3, 3, 5}, 3)});
  check_gradients([](const auto& in) { return ops::concatenate(in, 1); },
                  {uniform({2, 1, 3}, 4), uniform({2, 2, 3}, 5)});
}

TEST_CASE("zero padding and cropping are inverse, with gradients") {
  const Tensor x = uniform({2, 3, 4, 2}, 6);
  const Tensor p = ops::zero_pad2d(x, 1, 2, 0, 3);
  CHECK(p.shape() == Shape{2, 6, 7, 2});
  CHECK(p.at<float>({0, 0, 0, 0}) == 0.0f);
  CHECK(p.at<float>({1, 1, 0, 1}) == x.at<float>({1, 0, 0, 1}));
  CHECK(ops::crop2d(p, 1, 2, 0, 3).to_vector<float>() == x.to_vector<float>());
  check_gradients([](const auto& in) { return ops::zero_pad2d(in[0], 1, 0, 2, 1); }, {x});
  check_gradients([](const auto& in) { return ops::crop2d(in[0], 1, 1, 0, 2); }, {x});
  CHECK_THROWS_AS(ops::crop2d(x, 2, 1, 0, 0), ShapeError);
}

TEST_CASE("resize follows tf.image.resize (half-pixel centres), with gradients") {
  const Tensor x = Tensor::from_vector<float>({0, 1, 2, 3}, {1, 2, 2, 1});
  const auto bilinear = ops::resize(x, 4, 4, "bilinear").to_vector<float>();
  // Row 0 of TensorFlow's output for this input.
  CHECK(std::vector<float>(bilinear.begin(), bilinear.begin() + 4) ==
        std::vector<float>{0.0f, 0.25f, 0.75f, 1.0f});
  CHECK(bilinear[15] == 3.0f);
  const auto nearest = ops::resize(x, 4, 4, "nearest").to_vector<float>();
  CHECK(std::vector<float>(nearest.begin(), nearest.begin() + 4) == std::vector<float>{0, 0, 1, 1});
  check_gradients([](const auto& in) { return ops::resize(in[0], 5, 3, "bilinear"); },
                  {uniform({2, 3, 4, 2}, 7)});
  check_gradients([](const auto& in) { return ops::resize(in[0], 7, 2, "nearest"); },
                  {uniform({1, 3, 4, 2}, 8)});
  CHECK_THROWS_AS(ops::resize(x, 4, 4, "bicubic"), ValueError);
}

TEST_CASE("one_hot checks the label range and names the offending label") {
  const Tensor labels = Tensor::from_vector<std::uint8_t>({2, 0, 1}, {3});
  CHECK(ops::one_hot(labels, 3).to_vector<float>() == std::vector<float>{0, 0, 1, 1, 0, 0, 0, 1, 0});
  try {
    // On a device backend the check waits for the next synchronization (here, the read).
    (void)ops::one_hot(Tensor::from_vector<std::int32_t>({1, 100}, {2}), 100).to_vector<float>();
    FAIL("expected a ValueError");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("label 100 at index 1") != std::string::npos);
  }
}
