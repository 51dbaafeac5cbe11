#pragma once
// keras.layers.Permute: reorders the axes after the batch; `dims` numbers them from 1, as Keras
// does (Permute({2, 1}) swaps rows and columns). ShuffleNet's channel shuffle is Reshape,
// Permute, Reshape.
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct PermuteOptions {
  std::string name{};
};

class PermuteImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  PermuteImpl(std::vector<int> dims, PermuteOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const std::vector<int>& dims() const { return dims_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  std::vector<int> dims_;
};

class Permute : public LayerHandle<PermuteImpl> {
 public:
  explicit Permute(std::vector<int> dims, PermuteOptions options = {});
};

}  // namespace keras::layers
