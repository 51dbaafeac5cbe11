#pragma once
// keras.layers.Activation: applies an activation by name ("relu", "softmax", ...).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ActivationOptions {
  std::string name{};
};

class ActivationImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  ActivationImpl(const std::string& activation, ActivationOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const std::string& activation() const { return activation_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  std::string activation_{};
};

class Activation : public LayerHandle<ActivationImpl> {
 public:
  explicit Activation(const std::string& activation, ActivationOptions options = {});
};

}  // namespace keras::layers
