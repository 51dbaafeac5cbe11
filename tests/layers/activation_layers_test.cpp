#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("activation layers apply Keras' defaults") {
  const Tensor x = Tensor::from_vector<float>({-2.0f, -0.5f, 0.5f, 8.0f}, {1, 4});
  CHECK(ReLU()(x).to_vector<float>() == std::vector<float>{0, 0, 0.5f, 8});
  CHECK(ReLU({.max_value = 6.0f})(x).to_vector<float>() == std::vector<float>{0, 0, 0.5f, 6});
  CHECK(ReLU({.negative_slope = 0.5f, .threshold = 1.0f})(x).to_vector<float>() ==
        std::vector<float>{-1.5f, -0.75f, -0.25f, 8});
  CHECK(LeakyReLU()(x).to_vector<float>()[0] == doctest::Approx(-0.6f));  // Keras 3: 0.3
  CHECK(ELU()(x).to_vector<float>()[0] == doctest::Approx(std::expm1(-2.0f)));
  const auto sm = Softmax()(x).to_vector<float>();
  CHECK(sm[0] + sm[1] + sm[2] + sm[3] == doctest::Approx(1.0f));
  CHECK(Activation("tanh")(x).to_vector<float>()[1] == doctest::Approx(std::tanh(-0.5f)));
  CHECK_THROWS_AS(Activation("swishh"), ValueError);
  CHECK_THROWS_AS(Softmax({.axis = 0})(Input({3, 4})), ValueError);
}

TEST_CASE("activation layers train in a model") {
  Sequential model({Input({6}), Dense(8), LeakyReLU(), Dense(8), ELU(), Dense(8), ReLU(),
                    Dense(8), Activation("gelu"), Dense(3), Softmax()});
  test_support::check_training_step(model, test_support::uniform({8, 6}, 1),
                                    ops::softmax(test_support::uniform({8, 3}, 2)), 0.5f);
}
