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
// min(max(x, 0), 6)
Tensor relu6(const Tensor& x);
// x * sigmoid(x) (Keras' silu, also named swish)
Tensor silu(const Tensor& x);
// scale * elu(x, alpha) with Keras' constants (alpha 1.67326324, scale 1.05070098)
Tensor selu(const Tensor& x);
// log(1 + exp(x)), computed without overflow; its gradient is sigmoid(x)
Tensor softplus(const Tensor& x);
// Over the last axis.
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

using ActivationFn = std::function<Tensor(const Tensor&)>;
// Keras' activation names: "linear" (or empty), "relu", "relu6", "elu", "selu", "leaky_relu",
// "gelu", "silu" (or "swish"), "softplus", "sigmoid", "tanh", "softmax", "log_softmax". Unknown
// names raise a ValueError listing these.
ActivationFn get_activation(const std::string& name);
// Canonical name of an activation string ("" -> "linear"); validates it.
std::string canonical_activation(const std::string& name);

}  // namespace keras::ops
