#pragma once
// keras.utils.Sequence (Keras 3: PyDataset): a source of batches with a length, what fit,
// evaluate and predict take besides arrays. ImageDataGenerator's flow() returns one.
#include <cstddef>
#include <cstdint>
#include <utility>
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

  // What replica `shard` of `shards` trains on under a distribution strategy: the rows
  // shard_rows gives of batch `index`. The default makes the whole batch and keeps those rows;
  // a source that can make only them overrides it (ImageDataGenerator's flows read and
  // transform only their own images), and must give exactly those rows.
  virtual Batch get_shard(std::size_t index, int shard, int shards);
};

// Shard `shard` of `shards`' consecutive rows [first, last) of a batch of n rows: the first
// n * shard / shards up to n * (shard + 1) / shards (64 over 2: 0-31 and 32-63; 11: 0-4, 5-10).
std::pair<std::int64_t, std::int64_t> shard_rows(std::int64_t n, int shard, int shards);

// Rows [first, last) of every tensor of a batch.
Batch slice_rows(const Batch& batch, std::int64_t first, std::int64_t last);

}  // namespace keras::utils
