#include "keras/models/nested_model.hpp"

#include "keras/ops/math.hpp"
#include "model_state.hpp"

namespace keras {

namespace {
std::vector<VariablePtr> gather(const Model& model, std::vector<VariablePtr> (layers::Layer::*of)() const) {
  std::vector<VariablePtr> out;
  for (const auto& l : model.layers()) {
    for (auto& w : ((*l).*of)()) out.push_back(w);
  }
  return out;
}
}  // namespace

NestedModel::NestedModel(std::shared_ptr<Model> model)
    : Layer(internal::state_of(*model).class_name, model->name()), model_(std::move(model)) {
  if (model_->outputs().size() != 1) {
    throw ValueError("Model '" + model_->name() + "' has " + std::to_string(model_->outputs().size()) +
                     " outputs; kerascpp layers have one output, so only a single-output model can be used as a "
                     "layer (call the model on tensors to get all its outputs)");
  }
  trainable = model_->trainable();
  std::vector<Shape> shapes;
  for (const auto& in : model_->inputs()) shapes.push_back(in.shape());
  build(shapes);
}

void NestedModel::sync_trainable() const {
  if (trainable != model_->trainable()) model_->set_trainable(trainable);
}

std::vector<VariablePtr> NestedModel::weights() const { return gather(*model_, &Layer::weights); }

// Keras' rules for a model: frozen, all its weights are non-trainable, in layer order.
std::vector<VariablePtr> NestedModel::trainable_weights() const {
  sync_trainable();
  return trainable ? gather(*model_, &Layer::trainable_weights) : std::vector<VariablePtr>{};
}

std::vector<VariablePtr> NestedModel::non_trainable_weights() const {
  sync_trainable();
  return trainable ? gather(*model_, &Layer::non_trainable_weights) : gather(*model_, &Layer::weights);
}

std::int64_t NestedModel::count_params() const { return model_->count_params(); }

Tensor NestedModel::regularization_loss() const {
  Tensor total;
  for (const auto& l : model_->layers()) {
    Tensor p = l->regularization_loss();
    if (p.defined()) total = total.defined() ? ops::add(total, p) : p;
  }
  return total;
}

std::vector<random::SeedGenerator*> NestedModel::seed_generators() {
  std::vector<random::SeedGenerator*> out;
  for (const auto& l : model_->layers()) {
    for (auto* g : l->seed_generators()) out.push_back(g);
  }
  return out;
}

int NestedModel::min_inputs() const { return static_cast<int>(model_->inputs().size()); }
int NestedModel::max_inputs() const { return static_cast<int>(model_->inputs().size()); }

Shape NestedModel::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  const auto& ins = model_->inputs();
  if (input_shapes.size() != ins.size()) {
    throw ValueError(describe() + " takes " + std::to_string(ins.size()) + " input(s), got " +
                     std::to_string(input_shapes.size()));
  }
  for (std::size_t i = 0; i < ins.size(); ++i) {
    const Shape& expected = ins[i].shape();
    const Shape& got = input_shapes[i];
    bool fits = expected.rank() == got.rank();
    for (int d = 1; fits && d < got.rank(); ++d) {
      fits = expected.dims()[d] < 0 || got.dims()[d] < 0 || expected.dims()[d] == got.dims()[d];
    }
    if (!fits) {
      throw ShapeError(describe() + ": input '" + ins[i].name() + "' expects shape " + to_string(expected) +
                       ", got " + to_string(got));
    }
  }
  Shape out = model_->outputs().front().shape();
  if (out.rank() > 0 && !input_shapes.empty() && input_shapes.front().rank() > 0) out[0] = input_shapes.front()[0];
  return out;
}

nlohmann::json NestedModel::get_config() const { return model_->get_config(); }

Tensor NestedModel::call(const std::vector<Tensor>& inputs, bool training) {
  sync_trainable();
  return (*model_)(inputs, training).front();
}

}  // namespace keras
