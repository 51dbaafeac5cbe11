#pragma once
// The base of the element-wise merge layers (Add, Multiply, Average): two or more inputs whose
// shapes must agree (a None batch axis matches any batch).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct MergeOptions {
  std::string name{};
};

class MergeLayer : public Layer {
 public:
  MergeLayer(std::string class_name, const std::string& name)
      : Layer(std::move(class_name), name) {}
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 1 << 20; }
};

}  // namespace keras::layers
