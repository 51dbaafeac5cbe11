#pragma once
// keras.layers.Add: element-wise sum of two or more inputs of one shape.
#include "keras/layers/merge.hpp"

namespace keras::layers {

class AddImpl final : public MergeLayer {
 public:
  explicit AddImpl(MergeOptions options);

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
};

class Add : public LayerHandle<AddImpl> {
 public:
  explicit Add(MergeOptions options = {});
};

}  // namespace keras::layers
