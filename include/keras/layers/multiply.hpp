#pragma once
// keras.layers.Multiply: element-wise product of two or more inputs.
#include "keras/layers/merge.hpp"

namespace keras::layers {

class MultiplyImpl final : public MergeLayer {
 public:
  explicit MultiplyImpl(MergeOptions options);

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
};

class Multiply : public LayerHandle<MultiplyImpl> {
 public:
  explicit Multiply(MergeOptions options = {});
};

}  // namespace keras::layers
