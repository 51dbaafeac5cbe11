#pragma once
// keras.Model: a static graph of layers. The functional form takes symbolic inputs and
// outputs (Model(inputs, outputs)); Sequential (sequential.hpp) is a chain. Copies of a Model
// share the same layers and weights, as Python references do.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/callbacks/callbacks.hpp"
#include "keras/layers/input_layer.hpp"
#include "keras/layers/layer.hpp"
#include "keras/models/training_options.hpp"
#include "keras/utils/sequence.hpp"

namespace keras {

class Model;
namespace internal {
struct ModelState;
// The state behind a model, for the library's own code (saving); users never need it.
ModelState& state_of(const Model& model);
}  // namespace internal

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
  // Calls the model as a layer of another functional model (Keras: `base(inputs)`), through
  // as_layer(). A Sequential without an Input builds for these shapes first.
  layers::KerasTensor operator()(const layers::KerasTensor& x);
  layers::KerasTensor operator()(const std::vector<layers::KerasTensor>& xs);
  // The layer this model is when nested in another (a NestedModel, nested_model.hpp): the same
  // one every time, sharing this model's layers and weights. The model must be built.
  layers::LayerPtr as_layer() const;

  // Weights of all layers in layer order, as Keras lists them.
  std::vector<VariablePtr> weights() const;
  std::vector<VariablePtr> trainable_weights() const;
  std::vector<VariablePtr> non_trainable_weights() const;
  // Keras' `model.trainable = false`: sets the flag of the model, of its layer when nested, and
  // of every layer it has now (a frozen model trains nothing; its weights count as
  // non-trainable). trainable() is the model's own flag.
  bool trainable() const;
  void set_trainable(bool value);
  // Copies of the weight values; set_weights checks count and shapes.
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& values);
  std::int64_t count_params() const;
  // Sum of all layers' regularization penalties (a zero scalar when there are none).
  Tensor regularization_loss() const;

  // --- training (src/models/training.cpp) -------------------------------------------
  // Fixes the optimizer, loss(es) and metrics. Unknown names raise a ValueError.
  void compile(CompileOptions options);
  bool compiled() const;
  // Trains for `epochs` and returns the History of epoch logs. Bad data (length mismatch,
  // labels out of range, empty) raises before the first step.
  callbacks::History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  callbacks::History fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, FitOptions options = {});
  callbacks::History fit(utils::Sequence& data, FitOptions options = {});
  // Loss and metrics by name (Keras' return_dict=True): scores["loss"], scores["accuracy"].
  callbacks::Logs evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  callbacks::Logs evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                           EvaluateOptions options = {});
  callbacks::Logs evaluate(utils::Sequence& data, EvaluateOptions options = {});
  // Outputs for all samples, computed in batches (32 by default).
  Tensor predict(const Tensor& x, PredictOptions options = {});
  std::vector<Tensor> predict(const std::vector<Tensor>& x, PredictOptions options = {});
  // Over a data source's batches (their inputs; targets are ignored), for a single-output
  // model. Several outputs from a data source are not supported yet (a ValueError says so).
  Tensor predict(utils::Sequence& data, PredictOptions options = {});
  callbacks::Logs train_on_batch(const Tensor& x, const Tensor& y, BatchOptions options = {});
  callbacks::Logs test_on_batch(const Tensor& x, const Tensor& y, BatchOptions options = {});
  Tensor predict_on_batch(const Tensor& x);
  // The compiled optimizer (null before compile).
  optimizers::OptimizerPtr optimizer() const;
  // Callbacks set this to end fit after the current epoch (Keras' model.stop_training).
  bool stop_training() const;
  void set_stop_training(bool value);

  // --- weights files (src/saving/weights_h5.cpp) ----------------------------------------
  // Keras 3's `.weights.h5` layout (layers/<class name>[_k]/vars/0, 1, ...), written to a
  // temporary file and renamed, so a failed save leaves the previous file as it was.
  // `*.weights.h5` is written in Keras 3's layout, any other `*.h5` / `*.hdf5` in Keras 2's
  // (layer_names, weight_names, "dense/kernel:0"). Atomic: a temporary file renamed into place.
  void save_weights(const std::string& path) const;
  struct LoadWeightsOptions {
    bool by_name = false;        // Keras 2 layout only: match layers by name, not by position
    bool skip_mismatch = false;  // leave layers whose weights do not fit, instead of failing
  };
  // Reads either layout, whatever the file's name, into this model's layers: by position in
  // Keras' order (layers with weights, for Keras 2 files), or by name. A `.keras` archive gives
  // its weights (not its optimizer state), as Keras 3's load_weights does. A weight of another shape
  // raises an IOError naming the layer, the weight and both shapes. Nothing is assigned unless
  // the whole file fits (or skip_mismatch leaves what does not).
  void load_weights(const std::string& path, LoadWeightsOptions options);
  void load_weights(const std::string& path) { load_weights(path, LoadWeightsOptions{}); }

  // Keras' summary table. line_length 0 takes Keras' default (88, or 108 for non-sequential
  // graphs, which get a "Connected to" column).
  void summary(std::ostream& os = std::cout, int line_length = 0) const;
  std::string summary_string(int line_length = 0) const;

  // --- model files (src/saving/model_files.cpp) ----------------------------------------
  // The whole model: architecture, weights, compile arguments and optimizer state. `.keras`
  // writes Keras 3's archive (config.json, metadata.json, model.weights.h5), `.h5` / `.hdf5`
  // Keras 2's legacy file (model_config, training_config, model_weights, optimizer_weights);
  // keras::models::load_model reads both. Atomic, like save_weights.
  void save(const std::string& path) const;

  // --- architecture as JSON (src/saving/model_json.cpp) ---------------------------------
  // Keras 3's model.to_json(): the model's config as `.keras` archives hold it (module,
  // class_name, config, registered_name, build_config, and compile_config once compiled); no
  // weights (save_weights writes those). keras::models::model_from_json reads it back, and reads
  // Keras 2's and Keras 3's to_json() text as well. indent < 0: one line, as json.dumps.
  std::string to_json(int indent = -1) const;
  // Keras' model.get_config(): the inner config (name, layers, and for functional models
  // input_layers / output_layers), in Keras 3's spelling.
  nlohmann::json get_config() const;
  // Keras' Model.from_config: a new model (fresh weights) from get_config()'s answer, or from a
  // whole {"class_name", "config"} object as to_json writes it, of either Keras version.
  static Model from_config(const nlohmann::json& config);

 protected:
  explicit Model(std::shared_ptr<internal::ModelState> state);
  internal::ModelState& state() const { return *state_; }
  // Builds the graph (Sequential builds it lazily from the first input's shape).
  virtual void ensure_built(const std::vector<Shape>& input_shapes);
  // A heap copy of this handle that keeps the dynamic type (what a NestedModel holds).
  virtual std::shared_ptr<Model> share() const { return std::make_shared<Model>(*this); }

 private:
  void build_for_inputs(const std::vector<Tensor>& x);  // Sequential builds from the data's shapes
  callbacks::History fit_sequences(utils::Sequence& train, utils::Sequence* validation, const FitOptions& o);
  callbacks::Logs evaluate_sequence(utils::Sequence& data, const EvaluateOptions& o);

  friend internal::ModelState& internal::state_of(const Model& model);
  std::shared_ptr<internal::ModelState> state_;
};

}  // namespace keras
