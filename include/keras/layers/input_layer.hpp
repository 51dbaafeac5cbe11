#pragma once
// keras.Input / InputLayer: the entry of a functional or Sequential model.
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

class InputLayer final : public Layer {
 public:
  InputLayer(const Shape& shape_without_batch, std::optional<std::int64_t> batch_size,
             const std::string& name);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  int min_inputs() const override { return 0; }
  int max_inputs() const override { return 0; }
  const Shape& batch_shape() const { return batch_shape_; }
  // The symbolic tensor this input feeds (what keras::layers::Input returns).
  KerasTensor make_tensor(DType dtype);

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Shape batch_shape_;
};

struct InputOptions {
  std::optional<std::int64_t> batch_size{};
  DType dtype = float32;
  std::string name{};
};

// A symbolic input of the given shape without the batch axis: Input({32, 32, 3}).
KerasTensor Input(const Shape& shape, InputOptions options = {});

}  // namespace keras::layers
