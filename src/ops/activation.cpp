// Activation functions and their lookup by Keras' names.
#include "keras/ops/activation.hpp"

#include "keras/internal/name_lookup.hpp"
#include <map>

#include "keras/core/autograd.hpp"
#include "keras/internal/op_support.hpp"
#include "keras/ops/math.hpp"

namespace keras::ops {

using internal::f32;
using internal::new_output;
using internal::unary_op;

Tensor relu(const Tensor& x, ReluOptions o) {
  return unary_op(UnaryOp::relu, {o.negative_slope, o.threshold, o.max_value}, "relu", x);
}
Tensor elu(const Tensor& x, float alpha) { return unary_op(UnaryOp::elu, {alpha, 0, 0}, "elu", x); }
Tensor leaky_relu(const Tensor& x, float negative_slope) {
  return unary_op(UnaryOp::leaky_relu, {negative_slope, 0, 0}, "leaky_relu", x);
}
Tensor gelu(const Tensor& x) { return unary_op(UnaryOp::gelu, {}, "gelu", x); }
Tensor sigmoid(const Tensor& x) { return unary_op(UnaryOp::sigmoid, {}, "sigmoid", x); }
Tensor tanh(const Tensor& x) { return unary_op(UnaryOp::tanh, {}, "tanh", x); }
Tensor relu6(const Tensor& x) { return relu(x, {.max_value = 6.0f}); }
Tensor silu(const Tensor& x) { return multiply(x, sigmoid(x)); }
Tensor selu(const Tensor& x) {
  constexpr float alpha = 1.67326324f, scale = 1.05070098f;  // Keras' (and TensorFlow's) constants
  return affine(elu(x, alpha), scale, 0.0f);
}

Tensor softplus(const Tensor& x) {
  if (internal::is_half(x)) {
    return internal::in_float32("softplus", {x}, x.dtype(), [](const std::vector<Tensor>& w) { return softplus(w[0]); });
  }
  internal::require_float32(x, "softplus");
  Tensor y;
  {
    // relu(x) + log(1 + exp(-|x|)): exp never overflows. Differentiated directly below, since
    // the pieces' kinks at 0 would give 0 there instead of sigmoid(0) = 1/2.
    NoGradGuard no_grad;
    y = add(relu(x), log(affine(exp(negative(abs(x))), 1.0f, 1.0f)));
  }
  internal::record(y, "softplus", {x}, [x](const Tensor& dy) { return std::vector<Tensor>{multiply(dy, sigmoid(x))}; });
  return y;
}

namespace {
Tensor softmax_impl(const Tensor& x, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  if (internal::is_half(x)) {
    return internal::in_float32(name, {x}, x.dtype(), [log](const std::vector<Tensor>& w) { return softmax_impl(w[0], log); });
  }
  internal::require_float32(x, name);
  if (x.rank() == 0) throw ShapeError(std::string(name) + " needs at least one axis");
  const std::int64_t cols = x.dim(-1), rows = cols ? x.size() / cols : 0;
  Tensor y = new_output(x.shape(), x.backend());
  x.backend().softmax_forward(f32(x), f32(y), rows, cols, log);
  internal::record(y, name, {x}, [log, rows, cols, out = y.detach()](const Tensor& dy) {
    Tensor dx = new_output(out.shape(), out.backend());
    out.backend().softmax_backward(f32(out), f32(dy), f32(dx), rows, cols, log);
    return std::vector<Tensor>{dx};
  });
  return y;
}
}  // namespace

Tensor softmax(const Tensor& x) { return softmax_impl(x, false); }
Tensor log_softmax(const Tensor& x) { return softmax_impl(x, true); }

namespace {
const std::map<std::string, ActivationFn>& activation_table() {
  static const std::map<std::string, ActivationFn> table{
      {"linear", [](const Tensor& x) { return x; }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"swish", [](const Tensor& x) { return silu(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"softmax", [](const Tensor& x) { return softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x); }},
  };
  return table;
}
}  // namespace

std::string canonical_activation(const std::string& name) {
  const std::string key = name.empty() || name == "None" ? "linear" : name;
  internal::lookup_name(activation_table(), key, "activation");
  return key;
}

ActivationFn get_activation(const std::string& name) {
  return activation_table().at(canonical_activation(name));
}

}  // namespace keras::ops
