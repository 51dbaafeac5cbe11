#pragma once
// keras.layers.Cropping2D: removes rows and columns at the image borders.
#include <string>

#include "keras/layers/padding2d.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

struct Cropping2DOptions {
  std::string data_format = "channels_last";
  std::string name{};
};

class Cropping2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  Cropping2DImpl(Padding2D cropping, Cropping2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const Padding2D& cropping() const { return cropping_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Padding2D cropping_;
};

class Cropping2D : public LayerHandle<Cropping2DImpl> {
 public:
  explicit Cropping2D(Padding2D cropping = 0, Cropping2DOptions options = {});
};

}  // namespace keras::layers
