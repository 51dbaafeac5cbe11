#pragma once
// keras.layers.BatchNormalization over the last axis. Weights in Keras' order: gamma, beta,
// moving_mean, moving_variance (the last two non-trainable). Training normalizes with the
// batch statistics and updates moving = moving * momentum + batch * (1 - momentum); a frozen
// layer (trainable = false) always runs in inference mode, as in Keras.
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct BatchNormalizationOptions {
  int axis = -1;  // only the channel (last) axis is supported: -1 or rank - 1
  float momentum = 0.99f;
  float epsilon = 1e-3f;
  bool center = true;
  bool scale = true;
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  regularizers::Regularizer beta_regularizer{};
  regularizers::Regularizer gamma_regularizer{};
  // Keras 3's: under a distribution strategy, the batch statistics of all replicas' combined batch
  // (keras::distribute); without one, the same as false.
  bool synchronized = false;
  std::string name{};
};

class BatchNormalizationImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit BatchNormalizationImpl(BatchNormalizationOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const BatchNormalizationOptions& options() const { return options_; }
  const VariablePtr& gamma() const { return gamma_; }
  const VariablePtr& beta() const { return beta_; }
  const VariablePtr& moving_mean() const { return moving_mean_; }
  const VariablePtr& moving_variance() const { return moving_variance_; }

 protected:
  void build_weights(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  BatchNormalizationOptions options_;
  VariablePtr gamma_, beta_, moving_mean_, moving_variance_;
};

class BatchNormalization : public LayerHandle<BatchNormalizationImpl> {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});
};

}  // namespace keras::layers
