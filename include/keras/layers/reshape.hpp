#pragma once
// keras.layers.Reshape: reshapes the non-batch axes; one may be -1.
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ReshapeOptions {
  std::string name{};
};

class ReshapeImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  ReshapeImpl(Shape target_shape, ReshapeOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const Shape& target_shape() const { return target_shape_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Shape target_shape_;
};

class Reshape : public LayerHandle<ReshapeImpl> {
 public:
  explicit Reshape(Shape target_shape, ReshapeOptions options = {});
};

}  // namespace keras::layers
