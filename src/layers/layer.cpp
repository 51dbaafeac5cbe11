#include "keras/layers/layer.hpp"

#include <cctype>
#include <map>
#include <mutex>

#include "../saving/config_support.hpp"
#include "keras/core/autograd.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras::layers {

namespace {
std::mutex g_names_mutex;
std::map<std::string, int> g_name_counts;
thread_local const mixed_precision::DTypePolicy* t_construction_policy = nullptr;

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

// Keras' to_snake_case, the two substitutions re.sub("(.)([A-Z][a-z]+)", r"\1_\2") and
// re.sub("([a-z])([A-Z])", r"\1_\2") with the same left-to-right, non-overlapping matching,
// then lower case: "MaxPooling2D" -> "max_pooling2d", "ReLU" -> "re_lu".
std::string snake_case(const std::string& name) {
  std::string first;
  for (std::size_t i = 0; i < name.size();) {
    if (i + 2 < name.size() && is_upper(name[i + 1]) && is_lower(name[i + 2])) {
      std::size_t end = i + 2;
      while (end < name.size() && is_lower(name[end])) ++end;
      first += name.substr(i, 1) + "_" + name.substr(i + 1, end - i - 1);
      i = end;
    } else {
      first += name[i++];
    }
  }
  std::string second;
  for (std::size_t i = 0; i < first.size();) {
    if (i + 1 < first.size() && is_lower(first[i]) && is_upper(first[i + 1])) {
      second += first.substr(i, 1) + "_" + first.substr(i + 1, 1);
      i += 2;
    } else {
      second += first[i++];
    }
  }
  for (char& c : second) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return second;
}

namespace {

std::string unique_name(const std::string& base) {
  std::lock_guard lock(g_names_mutex);
  const int n = g_name_counts[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}
}  // namespace

const Shape& KerasTensor::shape() const { return node_->output_shape; }
DType KerasTensor::dtype() const { return node_->dtype; }
const std::string& KerasTensor::name() const { return node_->layer->name(); }

Layer::Layer(std::string class_name, const std::string& name)
    : class_name_(std::move(class_name)),
      name_(name.empty() ? unique_name(snake_case(class_name_)) : name),
      dtype_policy_(t_construction_policy != nullptr ? *t_construction_policy : mixed_precision::global_policy()) {}

nlohmann::json Layer::get_config() const {
  return {{"name", name_},
          {"trainable", trainable},
          {"dtype", keras::internal::keras_object("keras", "DTypePolicy", {{"name", dtype_policy_.name()}})}};
}

std::string Layer::describe() const { return "Layer '" + name_ + "' (" + class_name_ + ")"; }

void Layer::check_input_count(std::size_t n) const {
  const auto count = static_cast<int>(n);
  if (count < min_inputs() || count > max_inputs()) {
    const std::string expected =
        min_inputs() == max_inputs() ? std::to_string(min_inputs())
                                     : "at least " + std::to_string(min_inputs());
    throw ValueError(describe() + " expects " + expected + " input(s), got " +
                     std::to_string(count));
  }
}

const Shape& Layer::single_input(const std::vector<Shape>& shapes, int min_rank,
                                 int max_rank) const {
  check_input_count(shapes.size());
  const Shape& s = shapes.front();
  if (s.rank() < min_rank || s.rank() > max_rank) {
    const std::string expected = min_rank == max_rank
                                     ? std::to_string(min_rank)
                                     : std::to_string(min_rank) + " to " + std::to_string(max_rank);
    throw ShapeError(describe() + " expects an input of rank " + expected +
                     " (with the batch axis), got shape " + to_string(s));
  }
  return s;
}

void Layer::build(const std::vector<Shape>& input_shapes) {
  if (built_) return;
  check_input_count(input_shapes.size());
  compute_output_shape(input_shapes);  // validates before any weight is made
  build_weights(input_shapes);
  built_shapes_ = input_shapes;
  built_ = true;
}

void Layer::build_weights(const std::vector<Shape>&) {}

Shape Layer::compute_output_shape(const std::vector<Shape>& input_shapes) const {
  if (!built_) return Shape();
  std::vector<Tensor> probes;
  for (const Shape& s : input_shapes) {
    Shape one = s;
    if (one.rank() > 0) one[0] = 1;
    probes.push_back(Tensor::zeros(one, compute_dtype()));
  }
  NoGradGuard no_grad;
  // An inference-mode call on a batch of one changes no state (no moving statistics, no
  // gradients), so a const query may run it.
  Shape out = const_cast<Layer*>(this)->call(probes, false).shape();
  if (out.rank() > 0 && !input_shapes.empty() && input_shapes.front().rank() > 0) {
    out[0] = input_shapes.front()[0];
  }
  return out;
}

Tensor Layer::operator()(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Shape> shapes;
  for (const auto& t : inputs) shapes.push_back(t.shape());
  build(shapes);
  compute_output_shape(shapes);
  // Keras casts floating inputs to the compute dtype (integer inputs stay as they are).
  std::vector<Tensor> cast;
  cast.reserve(inputs.size());
  for (const auto& t : inputs) {
    cast.push_back(t.defined() && is_floating(t.dtype()) ? ops::cast(t, compute_dtype()) : t);
  }
  return call(cast, training);
}

Tensor Layer::autocast(const VariablePtr& variable) const {
  return ops::cast(variable->value(), compute_dtype());
}

Tensor Layer::operator()(const Tensor& input, bool training) {
  return (*this)(std::vector<Tensor>{input}, training);
}

KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) {
  std::vector<Shape> shapes;
  for (const auto& t : inputs) {
    if (!t.defined()) throw ValueError(describe() + " was called on an undefined KerasTensor");
    shapes.push_back(t.shape());
  }
  build(shapes);
  auto node = std::make_shared<internal::GraphNode>();
  node->layer = shared_from_this();
  node->inputs = inputs;
  node->output_shape = compute_output_shape(shapes);
  node->dtype = compute_dtype();
  return record_call(std::move(node));
}

KerasTensor Layer::record_call(std::shared_ptr<internal::GraphNode> node) {
  // Drop the calls whose graphs are gone, so a layer rebuilt many times (Sequential.add) stays small.
  std::erase_if(inbound_nodes_, [](const auto& weak) { return weak.expired(); });
  inbound_nodes_.push_back(node);
  return KerasTensor(std::move(node));
}

std::shared_ptr<internal::GraphNode> Layer::only_node(const char* what) const {
  std::shared_ptr<internal::GraphNode> found;
  int live = 0;
  for (const auto& weak : inbound_nodes_) {
    if (auto node = weak.lock()) {
      ++live;
      found = std::move(node);
    }
  }
  if (live == 0) {
    throw ValueError(describe() + " has never been called on a KerasTensor, so it has no " + what +
                     "; call it inside a functional model first");
  }
  if (live > 1) {
    throw ValueError(describe() + " has " + std::to_string(live) + " calls (inbound nodes), so its " + what +
                     " is ill-defined; take the KerasTensor a particular call returned instead");
  }
  return found;
}

KerasTensor Layer::output() const { return KerasTensor(only_node("output")); }

KerasTensor Layer::input() const {
  auto node = only_node("input");
  if (node->inputs.empty()) return KerasTensor(node);  // an InputLayer's input is its own tensor
  if (node->inputs.size() > 1) {
    throw ValueError(describe() + " takes " + std::to_string(node->inputs.size()) +
                     " inputs; input() is for single-input layers");
  }
  return node->inputs.front();
}

VariablePtr Layer::add_weight(const std::string& name, const Shape& shape,
                              const initializers::Initializer& initializer, bool trainable,
                              const regularizers::Regularizer& regularizer) {
  Tensor value = initializer(shape);
  auto v = std::make_shared<Variable>(name, name_ + "/" + name, std::move(value), trainable,
                                      regularizer);
  weights_.push_back(v);
  return v;
}

std::vector<VariablePtr> Layer::trainable_weights() const {
  std::vector<VariablePtr> out;
  if (!trainable) return out;
  for (const auto& w : weights_) {
    if (w->trainable()) out.push_back(w);
  }
  return out;
}

std::vector<VariablePtr> Layer::non_trainable_weights() const {
  std::vector<VariablePtr> out;
  for (const auto& w : weights_) {
    if (!trainable || !w->trainable()) out.push_back(w);
  }
  return out;
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const auto& w : weights_) n += w->shape().num_elements();
  return n;
}

Tensor Layer::regularization_loss() const {
  Tensor total;
  for (const auto& w : weights_) {
    if (!w->regularizer().active()) continue;
    Tensor p = w->regularizer()(w->value());
    total = total.defined() ? ops::add(total, p) : p;
  }
  return total;
}

}  // namespace keras::layers

namespace keras::backend {
void clear_session() {
  std::lock_guard lock(layers::g_names_mutex);
  layers::g_name_counts.clear();
}
}  // namespace keras::backend

namespace keras::internal {

ScopedLayerPolicy::ScopedLayerPolicy(const mixed_precision::DTypePolicy& policy)
    : previous_(layers::t_construction_policy), policy_(policy) {
  layers::t_construction_policy = &policy_;
}

ScopedLayerPolicy::~ScopedLayerPolicy() { layers::t_construction_policy = previous_; }

}  // namespace keras::internal
