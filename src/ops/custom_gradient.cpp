#include "keras/ops/custom_gradient.hpp"

#include "keras/core/autograd.hpp"
#include "keras/core/errors.hpp"

namespace keras::ops {

Tensor custom_gradient(const std::vector<Tensor>& inputs,
                       const std::function<Tensor(const std::vector<Tensor>&)>& forward,
                       std::function<std::vector<Tensor>(const Tensor& output_gradient)> backward, const char* name) {
  Tensor y;
  {
    NoGradGuard no_grad;  // the forward's own ops would otherwise record their gradients too
    y = forward(inputs);
  }
  if (!y.defined()) throw ValueError(std::string(name) + ": the forward function returned no tensor");
  // The gradient is attached to the output's storage record, which must not be an input's.
  for (const auto& in : inputs) {
    if (in.defined() && in.impl() == y.impl()) y = y.clone();
  }
  const std::size_t n = inputs.size();
  internal::record(y, name, inputs, [backward = std::move(backward), n, op = std::string(name)](const Tensor& dy) {
    std::vector<Tensor> grads = backward(dy);
    if (grads.size() != n) {
      throw ValueError(op + ": the backward function returned " + std::to_string(grads.size()) +
                       " gradients for " + std::to_string(n) + " inputs");
    }
    return grads;
  });
  return y;
}

}  // namespace keras::ops
