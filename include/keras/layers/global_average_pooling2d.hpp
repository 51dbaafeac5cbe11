#pragma once
// keras.layers.GlobalAveragePooling2D: (n, h, w, c) -> (n, c).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct GlobalAveragePooling2DOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;
  std::string name{};
};

class GlobalAveragePooling2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit GlobalAveragePooling2DImpl(GlobalAveragePooling2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const GlobalAveragePooling2DOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  GlobalAveragePooling2DOptions options_;
};

class GlobalAveragePooling2D : public LayerHandle<GlobalAveragePooling2DImpl> {
 public:
  explicit GlobalAveragePooling2D(GlobalAveragePooling2DOptions options = {});
};

}  // namespace keras::layers
