#include "keras/layers/input_layer.hpp"

namespace keras::layers {

InputLayer::InputLayer(const Shape& shape, std::optional<std::int64_t> batch_size,
                       const std::string& name)
    : Layer("InputLayer", name), batch_shape_(shape.with_batch(batch_size.value_or(-1))) {
  for (auto d : shape) {
    if (d == 0 || d < -1) {
      throw ShapeError("Input: shape " + to_string(shape) +
                       " has a dimension that is neither positive nor None (-1)");
    }
  }
  build({});
}

Shape InputLayer::compute_output_shape(const std::vector<Shape>&) const { return batch_shape_; }

Tensor InputLayer::call(const std::vector<Tensor>&, bool) {
  throw ValueError(describe() + " has no computation; feed its tensor to the model instead");
}

KerasTensor Input(const Shape& shape, InputOptions options) {
  return std::make_shared<InputLayer>(shape, options.batch_size, options.name)->make_tensor(options.dtype);
}

KerasTensor InputLayer::make_tensor(DType dtype) {
  auto node = std::make_shared<internal::GraphNode>();
  node->layer = shared_from_this();
  node->output_shape = batch_shape_;
  node->dtype = dtype;
  return record_call(std::move(node));
}

}  // namespace keras::layers
