#include "keras/core/variable.hpp"

namespace keras {

Variable::Variable(std::string name, std::string path, Tensor value, bool trainable,
                   regularizers::Regularizer regularizer)
    : name_(std::move(name)),
      path_(std::move(path)),
      value_(std::move(value)),
      trainable_(trainable),
      regularizer_(regularizer) {
  if (trainable_) value_.set_requires_grad(true);  // moving statistics take no gradient
}

void Variable::assign(const Tensor& value) {
  if (value.shape() != value_.shape()) {
    throw ShapeError("cannot assign a value of shape " + to_string(value.shape()) +
                     " to variable '" + path_ + "' of shape " + to_string(value_.shape()));
  }
  value_.assign(value.dtype() == value_.dtype() ? value : value.astype(value_.dtype()));
}

}  // namespace keras
