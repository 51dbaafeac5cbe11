#pragma once
// keras.layers.Dense: activation(inputs @ kernel + bias) on the last axis.
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  std::string name{};
};

class DenseImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  DenseImpl(std::int64_t units, DenseOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  std::int64_t units() const { return units_; }
  const DenseOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }  // (input_dim, units)
  const VariablePtr& bias() const { return bias_; }      // (units,)

 protected:
  void build_weights(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  std::int64_t units_;
  DenseOptions options_;
  VariablePtr kernel_, bias_;
};

class Dense : public LayerHandle<DenseImpl> {
 public:
  explicit Dense(std::int64_t units, DenseOptions options = {});
};

}  // namespace keras::layers
