#pragma once
// keras.layers.ReLU: max_value if x >= max_value, x if x > threshold, else
// negative_slope * (x - threshold).
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ReLUOptions {
  std::optional<float> max_value{};
  float negative_slope = 0.0f;
  float threshold = 0.0f;
  std::string name{};
};

class ReLUImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit ReLUImpl(ReLUOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const ReLUOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  ReLUOptions options_;
};

class ReLU : public LayerHandle<ReLUImpl> {
 public:
  explicit ReLU(ReLUOptions options = {});
};

}  // namespace keras::layers
