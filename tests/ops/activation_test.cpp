#include <doctest/doctest.h>

#include <cmath>

#include "support/gradient_check.hpp"

using namespace keras;
using test_support::check_gradients;

TEST_CASE("activation values match their formulas") {
  const Tensor x = Tensor::from_vector<float>({-2.0f, -0.5f, 0.5f, 3.0f}, {4});
  CHECK(ops::relu(x).to_vector<float>() == std::vector<float>{0, 0, 0.5f, 3});
  CHECK(ops::relu(x, {.max_value = 1.0f}).to_vector<float>() == std::vector<float>{0, 0, 0.5f, 1});
  CHECK(ops::leaky_relu(x, 0.1f).to_vector<float>()[0] == doctest::Approx(-0.2f));
  CHECK(ops::elu(x).to_vector<float>()[0] == doctest::Approx(std::expm1(-2.0f)));
  CHECK(ops::gelu(x).to_vector<float>()[3] == doctest::Approx(3.0 * 0.5 * (1 + std::erf(3.0 / std::sqrt(2.0)))));
  CHECK(ops::sigmoid(x).to_vector<float>()[2] == doctest::Approx(1.0 / (1.0 + std::exp(-0.5))));
  CHECK(ops::tanh(x).to_vector<float>()[1] == doctest::Approx(std::tanh(-0.5)));
  CHECK(ops::relu6(Tensor::from_vector<float>({-1.0f, 3.0f, 7.5f}, {3})).to_vector<float>() == std::vector<float>{0, 3, 6});
  CHECK(ops::silu(x).to_vector<float>()[3] == doctest::Approx(3.0 / (1.0 + std::exp(-3.0))));
  CHECK(ops::selu(x).to_vector<float>()[0] == doctest::Approx(1.05070098 * 1.67326324 * std::expm1(-2.0)));
  CHECK(ops::selu(x).to_vector<float>()[3] == doctest::Approx(1.05070098 * 3.0));
  const auto sp = ops::softplus(Tensor::from_vector<float>({-100.0f, -2.0f, 0.0f, 3.0f, 100.0f}, {5})).to_vector<float>();
  CHECK(sp[0] == doctest::Approx(std::exp(-100.0)).epsilon(1e-3));  // no underflow to 0 through log(1 + tiny)
  CHECK(sp[1] == doctest::Approx(std::log1p(std::exp(-2.0))));
  CHECK(sp[2] == doctest::Approx(std::log(2.0)));
  CHECK(sp[3] == doctest::Approx(std::log1p(std::exp(3.0))));
  CHECK(sp[4] == doctest::Approx(100.0));  // no overflow through exp(100)
  const auto sm = ops::softmax(Tensor::from_vector<float>({1, 2, 3, 1000, 1000, 1000}, {2, 3})).to_vector<float>();
  CHECK(sm[0] + sm[1] + sm[2] == doctest::Approx(1.0));
  CHECK(sm[2] == doctest::Approx(std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0))));
  CHECK(sm[4] == doctest::Approx(1.0 / 3.0));  // stable for large logits
  const auto lsm = ops::log_softmax(Tensor::from_vector<float>({1, 2, 3}, {1, 3})).to_vector<float>();
  CHECK(lsm[0] == doctest::Approx(1.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0))));
}

TEST_CASE("gradients of every activation") {
  const Tensor x = test_support::distinct_values({3, 5}, 21);
  const test_support::GradCheckOptions kinked{.epsilon = 1e-3};
  check_gradients([](const auto& in) { return ops::relu(in[0]); }, {x}, kinked);
  check_gradients([](const auto& in) { return ops::relu(in[0], {.negative_slope = 0.1f, .threshold = 0.0f, .max_value = 0.6f}); },
                  {x}, kinked);
  check_gradients([](const auto& in) { return ops::leaky_relu(in[0], 0.3f); }, {x}, kinked);
  check_gradients([](const auto& in) { return ops::elu(in[0], 1.5f); }, {x}, kinked);
  check_gradients([](const auto& in) { return ops::gelu(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::sigmoid(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::tanh(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::relu6(in[0] * 8.0f); }, {x}, kinked);  // crosses 0 and 6
  check_gradients([](const auto& in) { return ops::silu(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::selu(in[0]); }, {x}, kinked);
  check_gradients([](const auto& in) { return ops::softplus(in[0] * 4.0f); }, {x});
  check_gradients([](const auto& in) { return ops::softmax(in[0]); }, {x});
  check_gradients([](const auto& in) { return ops::log_softmax(in[0]); }, {x});
}

TEST_CASE("activation lookup accepts Keras names and rejects typos with the list") {
  CHECK(ops::canonical_activation("") == "linear");
  CHECK(ops::canonical_activation("softmax") == "softmax");
  for (const char* name : {"relu6", "silu", "swish", "selu", "softplus"}) CHECK(ops::canonical_activation(name) == name);
  const Tensor x = Tensor::from_vector<float>({-1.0f, 0.0f, 2.0f}, {3});
  CHECK(ops::get_activation("swish")(x).to_vector<float>() == ops::silu(x).to_vector<float>());
  // softplus'(0) is sigmoid(0) = 1/2 (the pieces it is computed from have kinks there).
  Tensor zero = Tensor::from_vector<float>({0.0f}, {1});
  zero.set_requires_grad(true);
  CHECK(GradientTape().gradient(ops::sum(ops::softplus(zero)), {zero})[0].to_vector<float>()[0] == doctest::Approx(0.5));
  try {
    ops::get_activation("rleu");
    FAIL("expected a ValueError");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("rleu") != std::string::npos);
    CHECK(msg.find("relu") != std::string::npos);
  }
}
