#include "keras/models/model.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>

#include "keras/models/nested_model.hpp"
#include "keras/ops/math.hpp"
#include "model_state.hpp"

namespace keras {

namespace internal {

std::string unique_model_name(const std::string& base) {
  static std::mutex mutex;
  static std::map<std::string, int> counts;
  std::lock_guard lock(mutex);
  const int n = counts[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

std::vector<layers::LayerPtr> keras_layer_order(const ModelState& state, bool with_inputs) {
  using Node = layers::internal::GraphNode;
  // Keras (functional.py map_graph): a node's depth is its longest path to an output; a
  // layer's depth the largest of its nodes'. Layers go deepest first, ties in the order a
  // depth-first walk from the outputs first reaches them. Weight files rely on this order.
  std::map<const Node*, int> depth;
  for (auto it = state.nodes.rbegin(); it != state.nodes.rend(); ++it) {
    const int d = depth[it->get()];  // 0 for outputs and nodes nothing consumes
    for (const auto& in : (*it)->inputs) {
      depth[in.node().get()] = std::max(depth[in.node().get()], d + 1);
    }
  }
  std::map<const layers::Layer*, int> layer_depth, first_reached;
  std::vector<const Node*> stack;
  for (auto it = state.outputs.rbegin(); it != state.outputs.rend(); ++it) {
    stack.push_back(it->node().get());
  }
  std::set<const Node*> visited;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!visited.insert(n).second) continue;
    first_reached.try_emplace(n->layer.get(), static_cast<int>(first_reached.size()));
    for (auto it = n->inputs.rbegin(); it != n->inputs.rend(); ++it) stack.push_back(it->node().get());
  }
  std::vector<layers::LayerPtr> result;
  for (const auto& n : state.nodes) {
    const layers::Layer* l = n->layer.get();
    if (!with_inputs && dynamic_cast<const layers::InputLayer*>(l)) continue;
    auto [it, inserted] = layer_depth.try_emplace(l, depth[n.get()]);
    if (inserted) {
      result.push_back(n->layer);
      first_reached.try_emplace(l, static_cast<int>(first_reached.size()));  // unused inputs
    } else {
      it->second = std::max(it->second, depth[n.get()]);
    }
  }
  std::stable_sort(result.begin(), result.end(), [&](const auto& a, const auto& b) {
    const int da = layer_depth[a.get()], db = layer_depth[b.get()];
    return da != db ? da > db : first_reached[a.get()] < first_reached[b.get()];
  });
  return result;
}

void build_graph(ModelState& state, const std::vector<layers::KerasTensor>& inputs,
                 const std::vector<layers::KerasTensor>& outputs) {
  using Node = layers::internal::GraphNode;
  if (inputs.empty() || outputs.empty()) {
    throw ValueError("Model '" + state.name + "' needs at least one input and one output");
  }
  std::set<const Node*> input_nodes;
  for (const auto& in : inputs) {
    if (!in.defined() || !dynamic_cast<const layers::InputLayer*>(in.node()->layer.get())) {
      throw ValueError("Model '" + state.name +
                       "': every input must come from keras::layers::Input(...)");
    }
    input_nodes.insert(in.node().get());
  }
  // Post-order depth-first walk from the outputs gives a topological order.
  std::vector<std::shared_ptr<Node>> order;
  std::set<const Node*> seen;
  std::vector<std::pair<std::shared_ptr<Node>, bool>> stack;
  for (auto it = outputs.rbegin(); it != outputs.rend(); ++it) {
    if (!it->defined()) throw ValueError("Model '" + state.name + "': an output is undefined");
    stack.push_back({it->node(), false});
  }
  while (!stack.empty()) {
    auto [node, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      order.push_back(node);
      continue;
    }
    if (!seen.insert(node.get()).second) continue;
    stack.push_back({node, true});
    if (node->inputs.empty() && !input_nodes.count(node.get())) {
      throw ValueError("Model '" + state.name + "': graph disconnected, an output depends on " +
                       "the input '" + node->layer->name() +
                       "' which is not among the model's inputs; pass it in `inputs`");
    }
    for (auto it = node->inputs.rbegin(); it != node->inputs.rend(); ++it) {
      stack.push_back({it->node(), false});
    }
  }
  // Inputs the outputs do not use still belong to the model (Keras warns; we keep them).
  for (const auto& in : inputs) {
    if (!seen.count(in.node().get())) order.insert(order.begin(), in.node());
  }
  state.inputs = inputs;
  state.outputs = outputs;
  state.nodes = std::move(order);
  state.layers = keras_layer_order(state, /*with_inputs=*/false);
  std::vector<layers::LayerPtr> unique_layers = state.layers;
  std::set<std::string> names;
  for (const auto& layer : unique_layers) {
    if (!names.insert(layer->name()).second) {
      throw ValueError("Model '" + state.name + "': two different layers are named '" +
                       layer->name() + "'; layer names must be unique");
    }
  }
  state.built = true;
}

}  // namespace internal

Model::Model(std::shared_ptr<internal::ModelState> state) : state_(std::move(state)) {}

internal::ModelState& internal::state_of(const Model& model) { return *model.state_; }

Model::Model(const std::vector<layers::KerasTensor>& inputs,
             const std::vector<layers::KerasTensor>& outputs, const std::string& name)
    : state_(std::make_shared<internal::ModelState>()) {
  state_->class_name = "Functional";
  state_->name = name.empty() ? internal::unique_model_name("functional") : name;
  internal::build_graph(*state_, inputs, outputs);
}

Model::Model(const layers::KerasTensor& input, const layers::KerasTensor& output,
             const std::string& name)
    : Model(std::vector{input}, std::vector{output}, name) {}

const std::string& Model::name() const { return state_->name; }
bool Model::built() const { return state_->built; }
const std::vector<layers::KerasTensor>& Model::inputs() const { return state_->inputs; }
const std::vector<layers::KerasTensor>& Model::outputs() const { return state_->outputs; }

std::vector<layers::LayerPtr> Model::layers() const {
  return state_->class_name == "Sequential" ? state_->sequential_layers : state_->layers;
}

layers::LayerPtr Model::get_layer(const std::string& name) const {
  std::string known;
  for (const auto& l : layers()) {
    if (l->name() == name) return l;
    known += (known.empty() ? "" : ", ") + l->name();
  }
  throw ValueError("Model '" + state_->name + "' has no layer named '" + name +
                   "'; its layers are: " + known);
}

void Model::ensure_built(const std::vector<Shape>&) {}

std::vector<Tensor> Model::operator()(const std::vector<Tensor>& xs, bool training) {
  std::vector<Shape> shapes;
  for (const auto& x : xs) shapes.push_back(x.shape());
  ensure_built(shapes);
  const auto& st = *state_;
  if (xs.size() != st.inputs.size()) {
    throw ValueError("Model '" + st.name + "' expects " + std::to_string(st.inputs.size()) +
                     " input(s), got " + std::to_string(xs.size()));
  }
  std::unordered_map<const layers::internal::GraphNode*, Tensor> values;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& expected = st.inputs[i].shape();
    const Shape& got = xs[i].shape();
    bool fits = expected.rank() == got.rank();
    for (int d = 0; fits && d < got.rank(); ++d) {
      fits = expected.dims()[d] < 0 || expected.dims()[d] == got.dims()[d];
    }
    if (!fits) {
      throw ShapeError("Model '" + st.name + "': input '" + st.inputs[i].name() +
                       "' expects shape " + to_string(expected) + ", got " + to_string(got));
    }
    values[st.inputs[i].node().get()] = xs[i];
  }
  for (const auto& node : st.nodes) {
    if (values.count(node.get())) continue;
    std::vector<Tensor> ins;
    for (const auto& in : node->inputs) ins.push_back(values.at(in.node().get()));
    values[node.get()] = (*node->layer)(ins, training);
  }
  std::vector<Tensor> outs;
  for (const auto& out : st.outputs) outs.push_back(values.at(out.node().get()));
  return outs;
}

Tensor Model::operator()(const Tensor& x, bool training) {
  auto outs = (*this)(std::vector<Tensor>{x}, training);
  if (outs.size() != 1) {
    throw ValueError("Model '" + state_->name + "' has " + std::to_string(outs.size()) +
                     " outputs; call it with a vector of inputs to get them all");
  }
  return outs.front();
}

layers::LayerPtr Model::as_layer() const {
  if (auto layer = state_->as_layer.lock()) return layer;
  if (!state_->built) {
    throw ValueError("Model '" + state_->name + "' is not built, so it cannot be used as a layer yet: give it an "
                     "Input, call build(), or call it on a KerasTensor (which builds a Sequential)");
  }
  auto layer = std::make_shared<NestedModel>(share());
  state_->as_layer = layer;
  return layer;
}

layers::KerasTensor Model::operator()(const std::vector<layers::KerasTensor>& xs) {
  std::vector<Shape> shapes;
  for (const auto& x : xs) {
    if (!x.defined()) throw ValueError("Model '" + state_->name + "' was called on an undefined KerasTensor");
    shapes.push_back(x.shape());
  }
  ensure_built(shapes);
  return (*as_layer())(xs);
}

layers::KerasTensor Model::operator()(const layers::KerasTensor& x) {
  return (*this)(std::vector<layers::KerasTensor>{x});
}

std::vector<VariablePtr> Model::weights() const {
  std::vector<VariablePtr> out;
  for (const auto& l : layers()) {
    for (auto& w : l->weights()) out.push_back(w);
  }
  return out;
}

std::vector<VariablePtr> Model::trainable_weights() const {
  std::vector<VariablePtr> out;
  for (const auto& l : layers()) {
    for (auto& w : l->trainable_weights()) out.push_back(w);
  }
  return out;
}

bool Model::trainable() const { return state().trainable; }
void Model::set_trainable(bool value) {
  state().trainable = value;
  if (const auto layer = state().as_layer.lock()) layer->trainable = value;
  for (const auto& l : layers()) l->trainable = value;
}

std::vector<VariablePtr> Model::non_trainable_weights() const {
  std::vector<VariablePtr> out;
  for (const auto& l : layers()) {
    for (auto& w : l->non_trainable_weights()) out.push_back(w);
  }
  return out;
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& w : weights()) out.push_back(w->value().detach().clone());
  return out;
}

void Model::set_weights(const std::vector<Tensor>& values) {
  const auto ws = weights();
  if (values.size() != ws.size()) {
    throw ValueError("Model '" + state_->name + "'.set_weights: expected " +
                     std::to_string(ws.size()) + " arrays, got " + std::to_string(values.size()));
  }
  for (std::size_t i = 0; i < ws.size(); ++i) {
    if (values[i].shape() != ws[i]->shape()) {
      throw ShapeError("Model '" + state_->name + "'.set_weights: weight " + std::to_string(i) +
                       " ('" + ws[i]->path() + "') has shape " + to_string(ws[i]->shape()) +
                       ", got an array of shape " + to_string(values[i].shape()));
    }
  }
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i]->assign(values[i]);
}

std::int64_t Model::count_params() const {
  std::int64_t n = 0;
  for (const auto& l : layers()) n += l->count_params();
  return n;
}

Tensor Model::regularization_loss() const {
  Tensor total;
  for (const auto& l : layers()) {
    Tensor p = l->regularization_loss();
    if (p.defined()) total = total.defined() ? ops::add(total, p) : p;
  }
  return total.defined() ? total : Tensor::scalar(0.0f);
}

std::string Model::summary_string(int line_length) const {
  std::ostringstream os;
  summary(os, line_length);
  return os.str();
}

}  // namespace keras
