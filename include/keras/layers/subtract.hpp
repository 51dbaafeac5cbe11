#pragma once
// keras.layers.Subtract: the first of exactly two inputs of one shape minus the second.
#include "keras/layers/merge.hpp"

namespace keras::layers {

class SubtractImpl final : public MergeLayer {
 public:
  explicit SubtractImpl(MergeOptions options);
  int max_inputs() const override { return 2; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
};

class Subtract : public LayerHandle<SubtractImpl> {
 public:
  explicit Subtract(MergeOptions options = {});
};

}  // namespace keras::layers
