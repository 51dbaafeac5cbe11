#pragma once
// keras.layers.ELU: x if x > 0 else alpha * (exp(x) - 1).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ELUOptions {
  float alpha = 1.0f;
  std::string name{};
};

class ELUImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit ELUImpl(ELUOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const ELUOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  ELUOptions options_;
};

class ELU : public LayerHandle<ELUImpl> {
 public:
  explicit ELU(ELUOptions options = {});
};

}  // namespace keras::layers
