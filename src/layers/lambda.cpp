#include "keras/layers/lambda.hpp"

#include "keras/core/autograd.hpp"

namespace keras::layers {

LambdaImpl::LambdaImpl(Function function, LambdaOptions options)
    : Layer("Lambda", options.name), function_(std::move(function)), options_(std::move(options)) {
  if (!function_) throw ValueError(describe() + ": the function is empty");
}

Shape LambdaImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  if (options_.output_shape) return options_.output_shape(shapes);
  if (shapes == probed_inputs_) return probed_output_;
  // Keras infers the shape by running the function symbolically; here it runs once on zeros with
  // a batch of one (None dimensions as 1), and the answer is kept for these input shapes.
  std::vector<Tensor> probes;
  for (const Shape& s : shapes) {
    Shape one = s;
    for (int i = 0; i < one.rank(); ++i) one[i] = one[i] < 0 ? 1 : one[i];
    probes.push_back(Tensor::zeros(one, compute_dtype()));
  }
  NoGradGuard no_grad;
  Shape out = function_(probes).shape();
  if (out.rank() > 0 && !shapes.empty() && shapes.front().rank() > 0) out[0] = shapes.front()[0];
  probed_inputs_ = shapes;
  probed_output_ = out;
  return out;
}

Tensor LambdaImpl::call(const std::vector<Tensor>& inputs, bool) {
  Tensor y = function_(inputs);
  if (!y.defined()) throw ValueError(describe() + ": the function returned no tensor");
  return y;
}

Lambda::Lambda(LambdaImpl::Function function, LambdaOptions options)
    : LayerHandle(std::make_shared<LambdaImpl>(std::move(function), std::move(options))) {}

Lambda::Lambda(const std::function<Tensor(const Tensor&)>& function, LambdaOptions options)
    : Lambda(LambdaImpl::Function([function](const std::vector<Tensor>& xs) {
               if (xs.size() != 1) {
                 throw ValueError("Lambda: this function takes one tensor, got " + std::to_string(xs.size()));
               }
               return function(xs.front());
             }),
             std::move(options)) {}

}  // namespace keras::layers
