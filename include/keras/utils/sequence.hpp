#pragma once
// keras.utils.Sequence (Keras 3: PyDataset): a source of batches with a length, what fit,
// evaluate and predict take besides arrays. ImageDataGenerator's flow() returns one.
#include <cstddef>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::utils {

struct Batch {
  std::vector<Tensor> x;     // one tensor per model input
  std::vector<Tensor> y;     // one per output (empty for predict)
  Tensor sample_weight{};    // optional, (batch,)
};

class Sequence {
 public:
  virtual ~Sequence() = default;
  // Batches per epoch.
  virtual std::size_t size() const = 0;
  virtual Batch get(std::size_t index) = 0;
  // Called after each epoch of fit (shuffle here).
  virtual void on_epoch_end() {}
};

}  // namespace keras::utils
