#pragma once
// keras.layers.LeakyReLU: x if x > 0 else negative_slope * x (Keras 3 default 0.3).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct LeakyReLUOptions {
  float negative_slope = 0.3f;
  std::string name{};
};

class LeakyReLUImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit LeakyReLUImpl(LeakyReLUOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const LeakyReLUOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  LeakyReLUOptions options_;
};

class LeakyReLU : public LayerHandle<LeakyReLUImpl> {
 public:
  explicit LeakyReLU(LeakyReLUOptions options = {});
};

}  // namespace keras::layers
