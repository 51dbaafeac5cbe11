#pragma once
// keras.layers.DepthwiseConv2D: one (or depth_multiplier) filter per input channel;
// depthwise_kernel (kh, kw, in, depth_multiplier).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct DepthwiseConv2DOptions {
  Size2 strides = 1;
  std::string padding = "valid";
  std::int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  Size2 dilation_rate = 1;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer depthwise_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer depthwise_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  std::string name{};
};

class DepthwiseConv2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  DepthwiseConv2DImpl(Size2 kernel_size, DepthwiseConv2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const DepthwiseConv2DOptions& options() const { return options_; }
  Size2 kernel_size() const { return kernel_size_; }
  const VariablePtr& depthwise_kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build_weights(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Size2 kernel_size_;
  DepthwiseConv2DOptions options_;
  VariablePtr kernel_, bias_;
};

class DepthwiseConv2D : public LayerHandle<DepthwiseConv2DImpl> {
 public:
  explicit DepthwiseConv2D(Size2 kernel_size, DepthwiseConv2DOptions options = {});
};

}  // namespace keras::layers
