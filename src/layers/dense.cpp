#include "keras/layers/dense.hpp"

#include "keras/ops/activation.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"
#include "keras/ops/nn.hpp"

namespace keras::layers {

DenseImpl::DenseImpl(std::int64_t units, DenseOptions options)
    : Layer("Dense", options.name), units_(units), options_(std::move(options)) {
  if (units < 1) {
    throw ValueError(describe() + ": units must be a positive integer, got " +
                     std::to_string(units));
  }
  options_.activation = ops::canonical_activation(options_.activation);
}

Shape DenseImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 2, 8);
  if (in[-1] < 0) {
    throw ShapeError(describe() + " needs a known last axis, got input shape " + to_string(in));
  }
  if (kernel_ && in[-1] != kernel_->shape()[0]) {
    throw ShapeError(describe() + " was built for inputs with last axis " +
                     std::to_string(kernel_->shape()[0]) + " but got input shape " +
                     to_string(in));
  }
  Shape out = in;
  out[-1] = units_;
  return out;
}

void DenseImpl::build_weights(const std::vector<Shape>& shapes) {
  const std::int64_t in = shapes.front()[-1];
  kernel_ = add_weight("kernel", {in, units_}, options_.kernel_initializer, true,
                       options_.kernel_regularizer);
  if (options_.use_bias) {
    bias_ = add_weight("bias", {units_}, options_.bias_initializer, true, options_.bias_regularizer);
  }
}

Tensor DenseImpl::call(const std::vector<Tensor>& inputs, bool) {
  const Tensor& x = inputs.front();
  // Dense acts on the last axis: fold any leading axes into the rows of one matmul.
  const Tensor rows = x.rank() == 2 ? x : ops::reshape(x, {-1, x.dim(-1)});
  Tensor y = ops::matmul(rows, autocast(kernel_));
  if (bias_) y = ops::bias_add(y, autocast(bias_));
  if (x.rank() != 2) y = ops::reshape(y, compute_output_shape({x.shape()}));
  return ops::get_activation(options_.activation)(y);
}

Dense::Dense(std::int64_t units, DenseOptions options)
    : LayerHandle(std::make_shared<DenseImpl>(units, std::move(options))) {}

}  // namespace keras::layers
