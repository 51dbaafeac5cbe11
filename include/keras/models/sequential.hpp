#pragma once
// keras.Sequential: a linear stack of layers. Give an Input first to build it at once
// (summary() then shows shapes); otherwise it builds on the first batch or on build().
#include <initializer_list>
#include <string>
#include <variant>

#include "keras/models/model.hpp"

namespace keras {

// One entry of a Sequential: a layer (any handle) or an Input.
class SequentialItem {
 public:
  template <class Impl>
  SequentialItem(const layers::LayerHandle<Impl>& layer) : item_(layers::LayerPtr(layer)) {}  // NOLINT
  SequentialItem(layers::LayerPtr layer) : item_(std::move(layer)) {}          // NOLINT
  SequentialItem(layers::KerasTensor input) : item_(std::move(input)) {}       // NOLINT
  SequentialItem(const Model& model) : item_(model.as_layer()) {}              // NOLINT: a nested model
  const std::variant<layers::LayerPtr, layers::KerasTensor>& get() const { return item_; }

 private:
  std::variant<layers::LayerPtr, layers::KerasTensor> item_;
};

class Sequential : public Model {
 public:
  explicit Sequential(std::initializer_list<SequentialItem> items = {},
                      const std::string& name = "");
  void add(const SequentialItem& item);
  // Removes the last layer.
  void pop();
  // Builds the model for inputs of this shape (with the batch axis, which may be None).
  void build(const Shape& input_shape);

 protected:
  void ensure_built(const std::vector<Shape>& input_shapes) override;
  std::shared_ptr<Model> share() const override { return std::make_shared<Sequential>(*this); }

 private:
  void rebuild();
};

}  // namespace keras
