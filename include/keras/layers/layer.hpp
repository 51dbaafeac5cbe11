#pragma once
// Layer: the base of every Keras layer, plus the symbolic KerasTensor of the functional API
// and LayerHandle, the shared handle users hold (layers::Dense is a LayerHandle<DenseImpl>).
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/random.hpp"
#include "keras/core/tensor.hpp"
#include "keras/core/variable.hpp"
#include "keras/initializers/initializers.hpp"
#include "keras/mixed_precision/policy.hpp"
#include "keras/regularizers/regularizers.hpp"

namespace keras::layers {

class Layer;
class KerasTensor;

namespace internal {
// One call of a layer in a functional graph: which layer, on which symbolic inputs.
struct GraphNode {
  std::shared_ptr<Layer> layer;
  std::vector<KerasTensor> inputs;
  Shape output_shape;
  DType dtype = float32;
};
}  // namespace internal

// A symbolic tensor: the shape (batch axis None) and the layer call that produces it.
class KerasTensor {
 public:
  KerasTensor() = default;
  explicit KerasTensor(std::shared_ptr<internal::GraphNode> node) : node_(std::move(node)) {}
  const Shape& shape() const;
  DType dtype() const;
  // The producing layer's name ("input_layer", "dense_1", ...).
  const std::string& name() const;
  const std::shared_ptr<internal::GraphNode>& node() const { return node_; }
  bool defined() const { return node_ != nullptr; }

 private:
  std::shared_ptr<internal::GraphNode> node_;
};

// Spatial sizes given as one int or (rows, cols): kernel_size, strides, pool_size ...
struct Size2 {
  std::int64_t h = 1, w = 1;
  Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT: 3 means (3, 3), as in Keras
  Size2(std::int64_t rows, std::int64_t cols) : h(rows), w(cols) {}
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  // An empty `name` takes Keras' default: the snake_case class name made unique
  // ("conv2d", "conv2d_1", ...).
  Layer(std::string class_name, const std::string& name);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& class_name() const { return class_name_; }
  // Frozen layers keep their weights out of training and count them as non-trainable.
  bool trainable = true;
  // The global policy when the layer was made. Under a mixed policy the layer casts floating
  // inputs and its variables to the compute dtype and its outputs have that dtype, as in Keras.
  const mixed_precision::DTypePolicy& dtype_policy() const { return dtype_policy_; }
  DType compute_dtype() const { return dtype_policy_.compute_dtype(); }

  bool built() const { return built_; }
  // Creates the weights for these input shapes (the batch axis may be None). Runs once.
  void build(const std::vector<Shape>& input_shapes);
  // The output shape for these input shapes; a ShapeError names this layer when they do
  // not fit (wrong rank, or a shape other than the one the weights were built for).
  // The default, for custom layers, runs call() on zeros with a batch of one once the layer
  // is built (and answers an empty Shape before).
  virtual Shape compute_output_shape(const std::vector<Shape>& input_shapes) const;

  // Like Keras' __call__: builds on first use, checks the shapes, then runs call().
  // Eager calls on concrete tensors; `training` switches dropout and batch statistics.
  Tensor operator()(const std::vector<Tensor>& inputs, bool training = false);
  Tensor operator()(const Tensor& input, bool training = false);
  // Symbolic call: records this layer in the functional graph.
  KerasTensor operator()(const std::vector<KerasTensor>& inputs);

  // Weights in Keras' order (Dense: kernel, bias; BatchNormalization: gamma, beta,
  // moving_mean, moving_variance). Virtual because a nested model (NestedModel) answers with
  // the weights of the layers inside it.
  virtual std::vector<VariablePtr> weights() const { return weights_; }
  virtual std::vector<VariablePtr> trainable_weights() const;
  virtual std::vector<VariablePtr> non_trainable_weights() const;
  virtual std::int64_t count_params() const;
  // Sum of the weight regularizers' penalties; an undefined Tensor when there are none.
  virtual Tensor regularization_loss() const;

  // Keras' layer.output / layer.input: the output and the (single) input of this layer's call in
  // a functional graph, for feature extraction (Model(base.inputs(), layer->output())). A layer
  // never called symbolically, or called more than once, raises a ValueError, as in Keras.
  KerasTensor output() const;
  KerasTensor input() const;

  // The layer's own random streams (Dropout's), whose positions training checkpoints keep.
  virtual std::vector<random::SeedGenerator*> seed_generators() { return {}; }

  // How many inputs the layer takes (merge layers take two or more).
  virtual int min_inputs() const { return 1; }
  virtual int max_inputs() const { return 1; }

  // Keras' get_config(): {"name", "trainable", "dtype"} here, and each layer class adds its own
  // arguments in Keras 3's spelling (calling Layer::get_config() first, as in Keras). Model files
  // and to_json write it; the class's registered factory (keras/saving/object_registration.hpp)
  // builds the layer back from it.
  virtual nlohmann::json get_config() const;

 protected:
  // Creates the weights with add_weight (default: none).
  virtual void build_weights(const std::vector<Shape>& input_shapes);
  // The computation, written with keras::ops (gradients come from them), on inputs already
  // checked by compute_output_shape. This is what a custom layer overrides, as in Keras.
  virtual Tensor call(const std::vector<Tensor>& inputs, bool training) = 0;
  // A variable's value in the compute dtype, as Keras reads variables inside call (autocast);
  // the cast is differentiable, so the float32 variable gets the gradient.
  Tensor autocast(const VariablePtr& variable) const;
  VariablePtr add_weight(const std::string& name, const Shape& shape,
                         const initializers::Initializer& initializer, bool trainable = true,
                         const regularizers::Regularizer& regularizer = {});
  // "Layer 'conv2d' (Conv2D)": how errors name this layer.
  std::string describe() const;
  // The single input shape of a one-input layer, with its rank checked.
  const Shape& single_input(const std::vector<Shape>& shapes, int min_rank,
                            int max_rank) const;
  // The input shapes the weights were built for.
  const std::vector<Shape>& built_shapes() const { return built_shapes_; }
  // Remembers a symbolic call of this layer (for output() / input()) and returns its tensor.
  KerasTensor record_call(std::shared_ptr<internal::GraphNode> node);

 private:
  void check_input_count(std::size_t n) const;
  std::string class_name_, name_;
  mixed_precision::DTypePolicy dtype_policy_;
  bool built_ = false;
  std::vector<Shape> built_shapes_;
  std::vector<VariablePtr> weights_;
  // The graph nodes this layer's symbolic calls made (the graph owns them).
  std::vector<std::weak_ptr<internal::GraphNode>> inbound_nodes_;
  std::shared_ptr<internal::GraphNode> only_node(const char* what) const;
};

using LayerPtr = std::shared_ptr<Layer>;

// Keras' to_snake_case ("MaxPooling2D" -> "max_pooling2d"): default layer names, file groups.
std::string snake_case(const std::string& class_name);

// A copyable reference to a layer, as Python holds layer objects: copies share the layer,
// so calling one handle on two inputs shares weights.
template <class Impl>
class LayerHandle {
 public:
  explicit LayerHandle(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  Impl* operator->() const { return impl_.get(); }
  Impl& operator*() const { return *impl_; }
  const std::shared_ptr<Impl>& ptr() const { return impl_; }
  operator LayerPtr() const { return impl_; }  // NOLINT: a handle is a layer

  KerasTensor operator()(const KerasTensor& x) const { return (*impl_)(std::vector{x}); }
  KerasTensor operator()(const std::vector<KerasTensor>& xs) const { return (*impl_)(xs); }
  Tensor operator()(const Tensor& x, bool training = false) const { return (*impl_)(x, training); }
  Tensor operator()(const std::vector<Tensor>& xs, bool training = false) const {
    return (*impl_)(xs, training);
  }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace keras::layers

namespace keras::internal {
// While alive, layers made on this thread take `policy` rather than the global one: how a model
// file gives each layer its saved policy without touching the process-wide setting.
class ScopedLayerPolicy {
 public:
  explicit ScopedLayerPolicy(const mixed_precision::DTypePolicy& policy);
  ~ScopedLayerPolicy();
  ScopedLayerPolicy(const ScopedLayerPolicy&) = delete;
  ScopedLayerPolicy& operator=(const ScopedLayerPolicy&) = delete;

 private:
  const mixed_precision::DTypePolicy* previous_;
  mixed_precision::DTypePolicy policy_;
};
}  // namespace keras::internal

namespace keras::backend {
// Resets the default layer names (as keras.backend.clear_session does).
void clear_session();
}  // namespace keras::backend
