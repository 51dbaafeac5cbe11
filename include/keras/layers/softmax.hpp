#pragma once
// keras.layers.Softmax over the last axis.
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct SoftmaxOptions {
  int axis = -1;  // only the last axis is supported
  std::string name{};
};

class SoftmaxImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit SoftmaxImpl(SoftmaxOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const SoftmaxOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  SoftmaxOptions options_;
};

class Softmax : public LayerHandle<SoftmaxImpl> {
 public:
  explicit Softmax(SoftmaxOptions options = {});
};

}  // namespace keras::layers
