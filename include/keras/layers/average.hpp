#pragma once
// keras.layers.Average: element-wise mean of two or more inputs.
#include "keras/layers/merge.hpp"

namespace keras::layers {

class AverageImpl final : public MergeLayer {
 public:
  explicit AverageImpl(MergeOptions options);

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
};

class Average : public LayerHandle<AverageImpl> {
 public:
  explicit Average(MergeOptions options = {});
};

}  // namespace keras::layers
