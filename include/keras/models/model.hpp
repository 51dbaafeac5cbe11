#pragma once
// keras.Model: a static graph of layers. The functional form takes symbolic inputs and
// outputs (Model(inputs, outputs)); Sequential (sequential.hpp) is a chain. Copies of a Model
// share the same layers and weights, as Python references do.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "keras/layers/input_layer.hpp"
#include "keras/layers/layer.hpp"

namespace keras {

namespace internal {
struct ModelState;
}

class Model {
 public:
  Model(const std::vector<layers::KerasTensor>& inputs,
        const std::vector<layers::KerasTensor>& outputs, const std::string& name = "");
  Model(const layers::KerasTensor& input, const layers::KerasTensor& output,
        const std::string& name = "");
  virtual ~Model() = default;

  const std::string& name() const;
  // The layers in graph order, each once (shared layers too), InputLayers excluded.
  std::vector<layers::LayerPtr> layers() const;
  // Raises a ValueError listing the layer names when there is no such layer.
  layers::LayerPtr get_layer(const std::string& name) const;
  bool built() const;
  const std::vector<layers::KerasTensor>& inputs() const;
  const std::vector<layers::KerasTensor>& outputs() const;

  // Runs the model on a batch. `training` turns on dropout and batch statistics.
  Tensor operator()(const Tensor& x, bool training = false);
  std::vector<Tensor> operator()(const std::vector<Tensor>& xs, bool training = false);

  // Weights of all layers in layer order, as Keras lists them.
  std::vector<VariablePtr> weights() const;
  std::vector<VariablePtr> trainable_weights() const;
  std::vector<VariablePtr> non_trainable_weights() const;
  // Copies of the weight values; set_weights checks count and shapes.
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& values);
  std::int64_t count_params() const;
  // Sum of all layers' regularization penalties (a zero scalar when there are none).
  Tensor regularization_loss() const;

  // Keras' summary table. line_length 0 takes Keras' default (88, or 108 for non-sequential
  // graphs, which get a "Connected to" column).
  void summary(std::ostream& os = std::cout, int line_length = 0) const;
  std::string summary_string(int line_length = 0) const;

 protected:
  explicit Model(std::shared_ptr<internal::ModelState> state);
  internal::ModelState& state() const { return *state_; }
  // Builds the graph (Sequential builds it lazily from the first input's shape).
  virtual void ensure_built(const std::vector<Shape>& input_shapes);

 private:
  std::shared_ptr<internal::ModelState> state_;
};

}  // namespace keras
