#include <doctest/doctest.h>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::Layout;

TEST_CASE("BatchNormalization: Keras weight order, trainable split, params") {
  BatchNormalization bn;
  CHECK(bn(Input({4, 4, 6})).shape() == Shape{-1, 4, 4, 6});
  CHECK(test_support::weight_layout(*bn) ==
        Layout{{"gamma", {6}}, {"beta", {6}}, {"moving_mean", {6}}, {"moving_variance", {6}}});
  CHECK(bn->trainable_weights().size() == 2);
  CHECK(bn->non_trainable_weights().size() == 2);
  BatchNormalization plain({.center = false, .scale = false});
  plain(Input({3}));
  CHECK(test_support::weight_layout(*plain) == Layout{{"moving_mean", {3}}, {"moving_variance", {3}}});
  // Only the channel axis: -1, or its positive index as Keras 2 files write it.
  CHECK_THROWS_AS(BatchNormalization({.axis = 1})(Input({4, 4, 3})), ValueError);
  CHECK(BatchNormalization({.axis = 3})(Input({4, 4, 3})).shape() == Shape{-1, 4, 4, 3});
}

TEST_CASE("BatchNormalization updates moving statistics with Keras' momentum only in training") {
  BatchNormalization bn({.momentum = 0.9f});
  const Tensor x = test_support::uniform({16, 3}, 5, 2.0f, 4.0f);
  bn(x, false);
  CHECK(bn->moving_mean()->value().to_vector<float>() == std::vector<float>{0, 0, 0});
  bn(x, true);
  const auto batch_mean = ops::mean(x, {0}).to_vector<float>();
  const auto batch_var = ops::mean(ops::square(x - ops::mean(x, {0})), {0}).to_vector<float>();
  const auto mm = bn->moving_mean()->value().to_vector<float>();
  const auto mv = bn->moving_variance()->value().to_vector<float>();
  for (int c = 0; c < 3; ++c) {
    CHECK(mm[c] == doctest::Approx(0.1 * batch_mean[c]));
    CHECK(mv[c] == doctest::Approx(0.9 + 0.1 * batch_var[c]));
  }
  // Frozen: runs in inference mode and leaves the statistics alone.
  bn->trainable = false;
  bn(x, true);
  CHECK(bn->moving_mean()->value().to_vector<float>() == mm);
}

TEST_CASE("BatchNormalization trains in a model") {
  Sequential model({Input({5, 5, 2}), Conv2D(4, 3), BatchNormalization(), ReLU(), Flatten(), Dense(2)});
  test_support::check_training_step(model, test_support::uniform({6, 5, 5, 2}, 1),
                                    test_support::uniform({6, 2}, 2), 0.02f);
}
