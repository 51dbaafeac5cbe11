#include "keras/layers/batch_normalization.hpp"

#include "../saving/config_support.hpp"

#include "keras/core/autograd.hpp"
#include "keras/distribute/sync_batch_normalization.hpp"
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
  distribute::Strategy* strategy = distribute::internal::training_strategy();
  auto result = options_.synchronized && strategy && strategy->num_workers() > 1
                    ? distribute::synchronized_batch_normalization_training(x, gamma, beta, options_.epsilon, *strategy)
                    : ops::batch_normalization_training(x, gamma, beta, options_.epsilon);
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

// Keras configs, and the factories that read them back.

nlohmann::json BatchNormalizationImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"axis", options().axis},
                 {"momentum", options().momentum},
                 {"epsilon", options().epsilon},
                 {"center", options().center},
                 {"scale", options().scale},
                 {"beta_initializer", initializer_config(options().beta_initializer)},
                 {"gamma_initializer", initializer_config(options().gamma_initializer)},
                 {"moving_mean_initializer", initializer_config(options().moving_mean_initializer)},
                 {"moving_variance_initializer", initializer_config(options().moving_variance_initializer)},
                 {"beta_regularizer", regularizer_config(options().beta_regularizer)},
                 {"gamma_regularizer", regularizer_config(options().gamma_regularizer)},
                 {"synchronized", options().synchronized}});
  config.update(no_constraints({"beta_constraint", "gamma_constraint"}));
  return config;
}

namespace {

LayerPtr make_batch_normalization(const keras::internal::ConfigArgs& a) {
  a.require_absent({"beta_constraint", "gamma_constraint", "renorm_clipping"});
  if (a.boolean("renorm", false)) a.fail("renorm", "is not supported by kerascpp");
  return BatchNormalization({.axis = static_cast<int>(a.integer("axis", -1)),
                             .momentum = static_cast<float>(a.number("momentum", 0.99)),
                             .epsilon = static_cast<float>(a.number("epsilon", 1e-3)),
                             .center = a.boolean("center", true),
                             .scale = a.boolean("scale", true),
                             .beta_initializer = a.initializer("beta_initializer", "zeros"),
                             .gamma_initializer = a.initializer("gamma_initializer", "ones"),
                             .moving_mean_initializer = a.initializer("moving_mean_initializer", "zeros"),
                             .moving_variance_initializer = a.initializer("moving_variance_initializer", "ones"),
                             .beta_regularizer = a.regularizer("beta_regularizer"),
                             .gamma_regularizer = a.regularizer("gamma_regularizer"),
                             .synchronized = a.boolean("synchronized", false),
                             .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(BatchNormalization, keras::layers::make_batch_normalization, R"({"config": {"momentum": 0.9, "epsilon": 0.01, "center": false}, "inputs": [[null, 4, 4, 3]]})")
