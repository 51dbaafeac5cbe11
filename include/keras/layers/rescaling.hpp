#pragma once
// keras.layers.Rescaling: x * scale + offset.
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct RescalingOptions {
  float offset = 0.0f;
  std::string name{};
};

class RescalingImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  RescalingImpl(float scale, RescalingOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  float scale() const { return scale_; }
  float offset() const { return options_.offset; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  float scale_;
  RescalingOptions options_;
};

class Rescaling : public LayerHandle<RescalingImpl> {
 public:
  explicit Rescaling(float scale, RescalingOptions options = {});
};

}  // namespace keras::layers
