#include "keras/layers/batch_normalization.hpp"

#include "keras/core/autograd.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"
#include "keras/ops/nn.hpp"

namespace keras::layers {

BatchNormalizationImpl::BatchNormalizationImpl(BatchNormalizationOptions options)
    : Layer("BatchNormalization", options.name), options_(std::move(options)) {
  if (!(options_.epsilon > 0.0f)) throw ValueError(describe() + ": epsilon must be positive");
}

Shape BatchNormalizationImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const Shape& in = single_input(shapes, 2, 8);
  // Keras 2 files spell the channel axis as a positive index ("axis": [3] for NHWC).
  if (options_.axis != -1 && options_.axis != static_cast<int>(in.rank()) - 1) {
    throw ValueError(describe() + ": only the channel (last) axis is supported, got axis=" +
                     std::to_string(options_.axis) + " for input shape " + to_string(in));
  }
  if (in[-1] < 1) {
    throw ShapeError(describe() + " needs a known channel axis, got input shape " + to_string(in));
  }
  if (moving_mean_ && in[-1] != moving_mean_->shape()[0]) {
    throw ShapeError(describe() + " was built for " + std::to_string(moving_mean_->shape()[0]) +
                     " channels but got input shape " + to_string(in));
  }
  return in;
}

void BatchNormalizationImpl::build_weights(const std::vector<Shape>& shapes) {
  const Shape channels{shapes.front()[-1]};
  if (options_.scale) {
    gamma_ = add_weight("gamma", channels, options_.gamma_initializer, true,
                        options_.gamma_regularizer);
  }
  if (options_.center) {
    beta_ = add_weight("beta", channels, options_.beta_initializer, true,
                       options_.beta_regularizer);
  }
  moving_mean_ = add_weight("moving_mean", channels, options_.moving_mean_initializer, false);
  moving_variance_ =
      add_weight("moving_variance", channels, options_.moving_variance_initializer, false);
}

Tensor BatchNormalizationImpl::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& x = inputs.front();
  const Tensor gamma = gamma_ ? gamma_->value() : Tensor();
  const Tensor beta = beta_ ? beta_->value() : Tensor();
  if (!training || !trainable) {
    return ops::batch_normalization_inference(x, gamma, beta, moving_mean_->value(),
                                              moving_variance_->value(), options_.epsilon);
  }
  auto result = ops::batch_normalization_training(x, gamma, beta, options_.epsilon);
  {
    NoGradGuard no_grad;  // the moving statistics are state, not part of the graph
    const float m = options_.momentum;
    moving_mean_->assign(moving_mean_->value() * m + result.batch_mean * (1.0f - m));
    moving_variance_->assign(moving_variance_->value() * m + result.batch_variance * (1.0f - m));
  }
  return result.y;
}

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : LayerHandle(std::make_shared<BatchNormalizationImpl>(std::move(options))) {}

}  // namespace keras::layers
