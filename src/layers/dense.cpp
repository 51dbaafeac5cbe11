#include "keras/layers/dense.hpp"

#include "../saving/config_support.hpp"

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

// Keras configs, and the factories that read them back.

nlohmann::json DenseImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"units", units()},
                 {"activation", options().activation},
                 {"use_bias", options().use_bias},
                 {"kernel_initializer", initializer_config(options().kernel_initializer)},
                 {"bias_initializer", initializer_config(options().bias_initializer)},
                 {"kernel_regularizer", regularizer_config(options().kernel_regularizer)},
                 {"bias_regularizer", regularizer_config(options().bias_regularizer)}});
  config.update(no_constraints({"activity_regularizer", "kernel_constraint", "bias_constraint"}));
  return config;
}

namespace {

LayerPtr make_dense(const keras::internal::ConfigArgs& a) {
  a.require_absent({"activity_regularizer", "kernel_constraint", "bias_constraint"});
  return Dense(a.integer("units", a.integer("output_dim", 0)),
               {.activation = a.activation("activation"),
                .use_bias = a.boolean("use_bias", true),
                .kernel_initializer = a.initializer("kernel_initializer", "glorot_uniform"),
                .bias_initializer = a.initializer("bias_initializer", "zeros"),
                .kernel_regularizer = a.regularizer("kernel_regularizer"),
                .bias_regularizer = a.regularizer("bias_regularizer"),
                .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Dense, keras::layers::make_dense, R"({"config": {"units": 3, "activation": "tanh"}, "inputs": [[null, 5]]})")
