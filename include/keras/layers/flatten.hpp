#pragma once
// keras.layers.Flatten: (n, ...) -> (n, prod(...)).
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct FlattenOptions {
  std::string data_format = "channels_last";
  std::string name{};
};

class FlattenImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  explicit FlattenImpl(FlattenOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const FlattenOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  FlattenOptions options_;
};

class Flatten : public LayerHandle<FlattenImpl> {
 public:
  explicit Flatten(FlattenOptions options = {});
};

}  // namespace keras::layers
