#pragma once
// keras.layers.ZeroPadding2D: zero rows and columns around each image.
#include <string>

#include "keras/layers/padding2d.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ZeroPadding2DOptions {
  std::string data_format = "channels_last";
  std::string name{};
};

class ZeroPadding2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  ZeroPadding2DImpl(Padding2D padding, ZeroPadding2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const Padding2D& padding() const { return padding_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Padding2D padding_;
};

class ZeroPadding2D : public LayerHandle<ZeroPadding2DImpl> {
 public:
  explicit ZeroPadding2D(Padding2D padding = 1, ZeroPadding2DOptions options = {});
};

}  // namespace keras::layers
