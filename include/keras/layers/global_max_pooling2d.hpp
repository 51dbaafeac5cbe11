#pragma once
// keras.layers.GlobalMaxPooling2D: (n, h, w, c) -> (n, c).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct GlobalMaxPooling2DOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;
  std::string name{};
};

class GlobalMaxPooling2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit GlobalMaxPooling2DImpl(GlobalMaxPooling2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const GlobalMaxPooling2DOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  GlobalMaxPooling2DOptions options_;
};

class GlobalMaxPooling2D : public LayerHandle<GlobalMaxPooling2DImpl> {
 public:
  explicit GlobalMaxPooling2D(GlobalMaxPooling2DOptions options = {});
};

}  // namespace keras::layers
