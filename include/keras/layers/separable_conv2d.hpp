#pragma once
// keras.layers.SeparableConv2D: a depthwise convolution then a 1x1 pointwise one. Weights:
// depthwise_kernel (kh, kw, in, depth_multiplier), pointwise_kernel (1, 1, in * dm, filters),
// bias (filters).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct SeparableConv2DOptions {
  Size2 strides = 1;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  Size2 dilation_rate = 1;
  std::int64_t depth_multiplier = 1;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer pointwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer depthwise_regularizer{};
  regularizers::Regularizer pointwise_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  std::string name{};
};

class SeparableConv2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  SeparableConv2DImpl(std::int64_t filters, Size2 kernel_size, SeparableConv2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  std::int64_t filters() const { return filters_; }
  Size2 kernel_size() const { return kernel_size_; }
  const SeparableConv2DOptions& options() const { return options_; }
  const VariablePtr& depthwise_kernel() const { return depthwise_; }
  const VariablePtr& pointwise_kernel() const { return pointwise_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build_weights(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  std::int64_t filters_;
  Size2 kernel_size_;
  SeparableConv2DOptions options_;
  VariablePtr depthwise_, pointwise_, bias_;
};

class SeparableConv2D : public LayerHandle<SeparableConv2DImpl> {
 public:
  SeparableConv2D(std::int64_t filters, Size2 kernel_size, SeparableConv2DOptions options = {});
};

}  // namespace keras::layers
