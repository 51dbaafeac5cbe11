#pragma once
// keras.layers.Conv2D, channels-last; kernel (kh, kw, in / groups, filters).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct Conv2DOptions {
  Size2 strides = 1;
  std::string padding = "valid";  // "valid" | "same"
  std::string data_format = "channels_last";
  Size2 dilation_rate = 1;
  std::int64_t groups = 1;
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer{};
  regularizers::Regularizer bias_regularizer{};
  std::string name{};
};

class Conv2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  Conv2DImpl(std::int64_t filters, Size2 kernel_size, Conv2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  std::int64_t filters() const { return filters_; }
  Size2 kernel_size() const { return kernel_size_; }
  const Conv2DOptions& options() const { return options_; }
  const VariablePtr& kernel() const { return kernel_; }
  const VariablePtr& bias() const { return bias_; }

 protected:
  void build_weights(const std::vector<Shape>& input_shapes) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  std::int64_t filters_;
  Size2 kernel_size_;
  Conv2DOptions options_;
  VariablePtr kernel_, bias_;
};

class Conv2D : public LayerHandle<Conv2DImpl> {
 public:
  Conv2D(std::int64_t filters, Size2 kernel_size, Conv2DOptions options = {});
};

}  // namespace keras::layers
