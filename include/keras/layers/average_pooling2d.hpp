#pragma once
// keras.layers.AveragePooling2D: the mean over each window (padding excluded).
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct AveragePooling2DOptions {
  std::optional<Size2> strides{};  // default: pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name{};
};

class AveragePooling2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  AveragePooling2DImpl(Size2 pool_size, AveragePooling2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  Size2 pool_size() const { return pool_size_; }
  const AveragePooling2DOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Size2 pool_size_;
  AveragePooling2DOptions options_;
};

class AveragePooling2D : public LayerHandle<AveragePooling2DImpl> {
 public:
  explicit AveragePooling2D(Size2 pool_size = 2, AveragePooling2DOptions options = {});
};

}  // namespace keras::layers
