#include "keras/models/sequential.hpp"

#include "model_state.hpp"

namespace keras {

namespace {
std::shared_ptr<internal::ModelState> sequential_state(const std::string& name) {
  auto st = std::make_shared<internal::ModelState>();
  st->class_name = "Sequential";
  st->name = name.empty() ? internal::unique_model_name("sequential") : name;
  return st;
}
}  // namespace

Sequential::Sequential(std::initializer_list<SequentialItem> items, const std::string& name)
    : Model(sequential_state(name)) {
  for (const auto& item : items) add(item);
}

void Sequential::add(const SequentialItem& item) {
  auto& st = state();
  if (const auto* input = std::get_if<layers::KerasTensor>(&item.get())) {
    if (st.sequential_input || !st.sequential_layers.empty()) {
      throw ValueError("Sequential '" + st.name +
                       "': an Input may only be the first entry of a Sequential model");
    }
    if (!input->defined() || !input->node()->inputs.empty()) {
      throw ValueError("Sequential '" + st.name + "': only keras::layers::Input(...) tensors "
                       "can start a Sequential; use the functional Model for other graphs");
    }
    st.sequential_input = *input;
    return;
  }
  const auto& layer = std::get<layers::LayerPtr>(item.get());
  if (!layer) throw ValueError("Sequential '" + st.name + "': cannot add a null layer");
  for (const auto& l : st.sequential_layers) {
    if (l->name() == layer->name()) {
      throw ValueError("Sequential '" + st.name + "': a layer named '" + layer->name() +
                       "' is already in the model; layer names must be unique");
    }
  }
  st.sequential_layers.push_back(layer);
  // Keep the graph in step when the input shape is known, so errors surface at add().
  try {
    if (st.sequential_input) rebuild();
  } catch (...) {
    st.sequential_layers.pop_back();
    throw;
  }
}

void Sequential::pop() {
  auto& st = state();
  if (st.sequential_layers.empty()) {
    throw ValueError("Sequential '" + st.name + "': there is no layer to pop");
  }
  st.sequential_layers.pop_back();
  st.built = false;
  if (st.sequential_input) rebuild();
}

void Sequential::build(const Shape& input_shape) {
  auto& st = state();
  if (input_shape.rank() < 1) {
    throw ShapeError("Sequential '" + st.name + "'.build needs a shape with a batch axis, got " +
                     to_string(input_shape));
  }
  st.sequential_input = layers::Input(input_shape.without_batch());
  rebuild();
}

void Sequential::ensure_built(const std::vector<Shape>& input_shapes) {
  auto& st = state();
  if (st.built) return;
  if (input_shapes.size() != 1) {
    throw ValueError("Sequential '" + st.name + "' takes exactly one input, got " +
                     std::to_string(input_shapes.size()));
  }
  if (st.sequential_layers.empty()) {
    throw ValueError("Sequential '" + st.name + "' has no layers; add some before calling it");
  }
  Shape batchless = input_shapes.front();
  batchless[0] = Shape::kNone;
  build(batchless);
}

void Sequential::rebuild() {
  auto& st = state();
  if (st.sequential_layers.empty()) {
    st.built = false;
    return;
  }
  layers::KerasTensor x = *st.sequential_input;
  for (const auto& layer : st.sequential_layers) x = (*layer)(std::vector{x});
  internal::build_graph(st, {*st.sequential_input}, {x});
}

}  // namespace keras
