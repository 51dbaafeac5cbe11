#include "keras/internal/op_support.hpp"

namespace keras::internal {

void require_float32(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(std::string(op) + ": an operand is an undefined Tensor");
  if (t.dtype() != float32) {
    throw ValueError(std::string(op) + ": operand of shape " + to_string(t.shape()) + " is " +
                     to_string(t.dtype()) +
                     "; ops compute in float32, convert it with .astype(keras::float32)");
  }
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
