#pragma once
// keras.Variable: a named weight owned by a layer. Its tensor is a leaf of the autograd graph;
// assign() overwrites the data in place so the identity optimizers and tapes hold stays valid.
#include <memory>
#include <string>

#include "keras/core/tensor.hpp"
#include "keras/regularizers/regularizers.hpp"

namespace keras {

class Variable {
 public:
  Variable(std::string name, std::string path, Tensor value, bool trainable,
           regularizers::Regularizer regularizer = {});

  const std::string& name() const { return name_; }  // "kernel"
  const std::string& path() const { return path_; }  // "dense/kernel"
  const Tensor& value() const { return value_; }
  const Shape& shape() const { return value_.shape(); }
  // The variable's own flag (moving statistics are never trainable); the owning layer's
  // `trainable` applies on top.
  bool trainable() const { return trainable_; }
  const regularizers::Regularizer& regularizer() const { return regularizer_; }
  // Copies `value` (same shape) into the variable; the error names the variable.
  void assign(const Tensor& value);

 private:
  std::string name_, path_;
  Tensor value_;
  bool trainable_;
  regularizers::Regularizer regularizer_{};
};

using VariablePtr = std::shared_ptr<Variable>;

}  // namespace keras
