#pragma once
// keras.layers.Concatenate: joins two or more inputs along `axis` (default the last).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ConcatenateOptions {
  int axis = -1;
  std::string name{};
};

class ConcatenateImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit ConcatenateImpl(ConcatenateOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  int min_inputs() const override { return 2; }
  int max_inputs() const override { return 1 << 20; }
  int axis() const { return options_.axis; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  ConcatenateOptions options_;
};

class Concatenate : public LayerHandle<ConcatenateImpl> {
 public:
  explicit Concatenate(ConcatenateOptions options = {});
};

}  // namespace keras::layers
