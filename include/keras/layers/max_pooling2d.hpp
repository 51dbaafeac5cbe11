#pragma once
// keras.layers.MaxPooling2D: the maximum over each pool_size window.
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct MaxPooling2DOptions {
  std::optional<Size2> strides{};  // default: pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name{};
};

class MaxPooling2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  MaxPooling2DImpl(Size2 pool_size, MaxPooling2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  Size2 pool_size() const { return pool_size_; }
  const MaxPooling2DOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Size2 pool_size_;
  MaxPooling2DOptions options_;
};

class MaxPooling2D : public LayerHandle<MaxPooling2DImpl> {
 public:
  explicit MaxPooling2D(Size2 pool_size = 2, MaxPooling2DOptions options = {});
};

}  // namespace keras::layers
