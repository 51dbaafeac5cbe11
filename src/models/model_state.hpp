#pragma once
// What a Model holds: its graph in topological order, and, for Sequential, the layer list
// the graph is rebuilt from.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/distribute/strategy.hpp"
#include "keras/layers/layer.hpp"
#include "keras/losses/losses.hpp"
#include "keras/metrics/metrics.hpp"
#include "keras/optimizers/optimizer.hpp"

namespace keras::internal {

struct MirroredReplicas;
class CapturedStep;

// What compile fixes and fit updates.
struct TrainingState {
  bool compiled = false;
  optimizers::OptimizerPtr optimizer;
  std::vector<losses::LossPtr> losses;                   // one per output
  std::vector<double> loss_weights;                      // one per output
  std::vector<std::vector<metrics::MetricPtr>> metrics;  // per output
  std::vector<std::string> prefixes;                     // "" for one output, "<output>_" else
  metrics::Mean loss_tracker{"loss"};
  std::vector<metrics::Mean> output_loss_trackers;       // multi-output only
  int steps_per_execution = 1;
  // compile(jit_compile): record the training, test and predict steps for replay where the
  // backend can (captured_step.hpp); the recordings are made by the first steps of fit,
  // evaluate and predict.
  bool jit_compile = true;
  std::shared_ptr<CapturedStep> captured_step, captured_test_step, captured_predict_step;
  bool stop_training = false;
  // Set by BackupAndRestore in on_train_begin: the epoch a resumed fit starts at.
  std::optional<int> resume_epoch;
  // The strategy whose scope compile() ran in (keras::distribute), else null: fit trains
  // data-parallel across its replicas.
  distribute::Strategy* strategy = nullptr;
  // MirroredStrategy's copies of the model on its further devices, made at the first step
  // (mirrored_training.hpp).
  std::shared_ptr<MirroredReplicas> mirrored_replicas;
};

// The compiled loss of one batch: each output's loss, and their sum weighted by loss_weights
// (without the regularization losses).
struct CompiledLoss {
  Tensor total;
  std::vector<Tensor> per_output;
};
CompiledLoss compiled_loss(const TrainingState& t, const std::vector<Tensor>& y, const std::vector<Tensor>& predictions,
                           const Tensor& sample_weight);

// BatchNormalization's moving statistics: the weights that each replica of a strategy updates
// from its own rows, and that become the mean of the replicas' after each step.
inline bool is_moving_statistic(const VariablePtr& v) {
  return v->value().dtype() == float32 && (v->name() == "moving_mean" || v->name() == "moving_variance");
}

struct ModelState {
  std::string class_name;  // "Functional" or "Sequential", as Keras 3 names them
  std::string name;
  std::vector<layers::KerasTensor> inputs, outputs;
  // Every layer call of the graph, inputs first, each after the calls it consumes.
  std::vector<std::shared_ptr<layers::internal::GraphNode>> nodes;
  std::vector<layers::LayerPtr> layers;  // unique, in graph order, without InputLayers
  bool built = false;
  bool trainable = true;  // the model's own flag (set_trainable also sets every layer's)
  // The model's layer when it is nested in another (Model::as_layer); weak, as it owns this state.
  std::weak_ptr<layers::Layer> as_layer;
  TrainingState training;

  // Sequential: its layers and optional Input; the graph is derived from them.
  std::optional<layers::KerasTensor> sequential_input;
  std::vector<layers::LayerPtr> sequential_layers;
};

// Orders the graph between `inputs` and `outputs` into `state`; raises a ValueError when an
// output depends on an Input that is not among `inputs`.
void build_graph(ModelState& state, const std::vector<layers::KerasTensor>& inputs,
                 const std::vector<layers::KerasTensor>& outputs);

// The graph's layers in Keras' order (deepest first); InputLayers too if `with_inputs`.
std::vector<layers::LayerPtr> keras_layer_order(const ModelState& state, bool with_inputs);

// Default model names: "functional", "functional_1", ... / "sequential", ...
std::string unique_model_name(const std::string& base);

}  // namespace keras::internal
