#pragma once
// A Model used as a layer of another model, as Keras' Model is a Layer: `base(inputs)` on a
// KerasTensor, or Sequential::add(base). Model::as_layer() makes it once per model, so every call
// shares the same weights. It answers with the weights of the layers inside it, is frozen as a
// whole through its `trainable` flag (Keras' `base.trainable = False`), and is saved as Keras
// saves nested models: its whole config as the layer's config, its weights under its own group.
#include <memory>
#include <vector>

#include "keras/models/model.hpp"

namespace keras {

class NestedModel final : public layers::Layer {
 public:
  explicit NestedModel(std::shared_ptr<Model> model);

  Model& model() const { return *model_; }

  std::vector<VariablePtr> weights() const override;
  std::vector<VariablePtr> trainable_weights() const override;
  std::vector<VariablePtr> non_trainable_weights() const override;
  std::int64_t count_params() const override;
  Tensor regularization_loss() const override;
  std::vector<random::SeedGenerator*> seed_generators() override;

  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  int min_inputs() const override;
  int max_inputs() const override;
  // The model's own config (Model::get_config), as Keras nests it.
  nlohmann::json get_config() const override;

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  // Keras' trainable setter reaches every sublayer; ours is a plain flag, so a change made
  // through this layer is passed on to the model's layers when the layer is next used.
  void sync_trainable() const;
  std::shared_ptr<Model> model_;
};

}  // namespace keras
