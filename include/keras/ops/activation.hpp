#pragma once
// Differentiable activation functions, and lookup by Keras' names.
#include <functional>
#include <limits>
#include <string>

#include "keras/core/tensor.hpp"

namespace keras::ops {

struct ReluOptions {
  float negative_slope = 0.0f;
  float threshold = 0.0f;
  float max_value = std::numeric_limits<float>::infinity();
};
Tensor relu(const Tensor& x, ReluOptions options = {});
Tensor elu(const Tensor& x, float alpha = 1.0f);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.2f);
// Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), Keras' default (approximate=False).
Tensor gelu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
// Over the last axis.
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

using ActivationFn = std::function<Tensor(const Tensor&)>;
// Keras' activation names: "linear" (or empty), "relu", "elu", "leaky_relu", "gelu",
// "sigmoid", "tanh", "softmax", "log_softmax". Unknown names raise a ValueError listing these.
ActivationFn get_activation(const std::string& name);
// Canonical name of an activation string ("" -> "linear"); validates it.
std::string canonical_activation(const std::string& name);

}  // namespace keras::ops
