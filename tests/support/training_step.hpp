#pragma once
// One plain gradient-descent step on a model, to show that a layer trains: the loss after the
// step must be lower than before.
#include <doctest/doctest.h>

#include "keras/keras.hpp"

namespace test_support {

inline float mse_loss(keras::Model& model, const keras::Tensor& x, const keras::Tensor& target,
                      bool training) {
  return keras::ops::mean(keras::ops::square(model(x, training) - target)).item<float>();
}

// Applies w -= lr * dL/dw to the trainable weights and checks that the loss went down.
// Training-mode randomness (dropout) is seeded per layer, so the check compares inference.
inline void check_training_step(keras::Model& model, const keras::Tensor& x,
                                const keras::Tensor& target, float learning_rate = 0.05f) {
  const float before = mse_loss(model, x, target, false);
  const auto vars = model.trainable_weights();
  REQUIRE_FALSE(vars.empty());
  std::vector<keras::Tensor> values;
  for (const auto& v : vars) values.push_back(v->value());
  const keras::Tensor loss =
      keras::ops::mean(keras::ops::square(model(x, true) - target)) + model.regularization_loss();
  const auto grads = keras::GradientTape().gradient(loss, values);
  {
    keras::NoGradGuard no_grad;
    for (std::size_t i = 0; i < vars.size(); ++i) {
      vars[i]->assign(vars[i]->value() - grads[i] * learning_rate);
    }
  }
  const float after = mse_loss(model, x, target, false);
  INFO("loss before " << before << ", after " << after);
  CHECK(after < before);
}

// Names and shapes of a layer's weights, for comparing with Keras' order.
inline std::vector<std::pair<std::string, keras::Shape>> weight_layout(const keras::layers::Layer& l) {
  std::vector<std::pair<std::string, keras::Shape>> out;
  for (const auto& w : l.weights()) out.emplace_back(w->name(), w->shape());
  return out;
}

using Layout = std::vector<std::pair<std::string, keras::Shape>>;

}  // namespace test_support
