#include "keras/internal/op_support.hpp"

#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras::internal {

void require_float32(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(std::string(op) + ": an operand is an undefined Tensor");
  if (t.dtype() != float32) {
    throw ValueError(std::string(op) + ": operand of shape " + to_string(t.shape()) + " is " +
                     to_string(t.dtype()) +
                     "; ops compute on floating tensors, convert it with .astype(keras::float32)");
  }
}

bool is_half(DType dtype) { return dtype == DType::bfloat16 || dtype == DType::float16; }
bool is_half(const Tensor& t) { return t.defined() && is_half(t.dtype()); }

DType promoted(DType a, DType b) { return a == b ? a : DType::float32; }

Tensor widened(const Tensor& x) { return is_half(x) ? ops::cast(x, float32) : x; }

namespace {
Tensor as_float32(const Tensor& x) { return x.defined() && is_floating(x.dtype()) ? x.astype(float32) : x; }
}  // namespace

Tensor in_float32(const char* name, const std::vector<Tensor>& inputs, DType result, Float32Op f) {
  Tensor y;
  {
    NoGradGuard no_grad;
    std::vector<Tensor> wide;
    for (const auto& x : inputs) wide.push_back(as_float32(x));
    y = f(wide).astype(result);
  }
  record_in_float32(y, name, inputs, std::move(f));
  return y;
}

void record_in_float32(Tensor& y, const char* name, const std::vector<Tensor>& inputs, Float32Op f) {
  record(y, name, inputs, [inputs, f = std::move(f)](const Tensor& dy) {
    std::vector<Tensor> leaves;
    for (const auto& x : inputs) {
      Tensor leaf = as_float32(x).detach();
      if (x.defined() && x.requires_grad()) leaf.set_requires_grad(true);
      leaves.push_back(leaf);
    }
    Tensor target;
    {
      GradModeScope recording(true);
      target = ops::sum(ops::multiply(f(leaves), dy.astype(float32)));
    }
    std::vector<Tensor> sources, grads(inputs.size());
    for (const auto& leaf : leaves) sources.push_back(leaf.defined() ? leaf : Tensor::scalar(0.0f));
    const std::vector<Tensor> computed = GradientTape().gradient(target, sources);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].defined() && inputs[i].requires_grad()) grads[i] = computed[i].astype(inputs[i].dtype());
    }
    return grads;
  });
}

Backend& common_backend(const std::vector<Tensor>& ts, const char* op) {
  Backend& b = ts.front().backend();
  for (const auto& t : ts) {
    if (&t.backend() != &b) {
      throw BackendError(std::string(op) + ": operands live on different backends ('" +
                         b.name() + "' and '" + t.backend().name() +
                         "'); move one with clone(&backend)");
    }
  }
  return b;
}

Tensor new_output(const Shape& shape, Backend& backend) {
  return Tensor::empty(shape, float32, &backend);
}

}  // namespace keras::internal
