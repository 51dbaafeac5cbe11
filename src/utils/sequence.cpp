#include "keras/utils/sequence.hpp"

#include <string>

#include "keras/core/errors.hpp"

namespace keras::utils {

std::pair<std::int64_t, std::int64_t> shard_rows(std::int64_t n, int shard, int shards) {
  if (shards < 1 || shard < 0 || shard >= shards) {
    throw ValueError("shard_rows: shard " + std::to_string(shard) + " of " + std::to_string(shards) +
                     " (a shard is 0 to shards - 1)");
  }
  return {n * shard / shards, n * (shard + 1) / shards};
}

Batch slice_rows(const Batch& batch, std::int64_t first, std::int64_t last) {
  Batch out;
  for (const Tensor& t : batch.x) out.x.push_back(t.slice(first, last));
  for (const Tensor& t : batch.y) out.y.push_back(t.slice(first, last));
  if (batch.sample_weight.defined()) out.sample_weight = batch.sample_weight.slice(first, last);
  return out;
}

Batch Sequence::get_shard(std::size_t index, int shard, int shards) {
  Batch whole = get(index);
  const auto [first, last] = shard_rows(whole.x.empty() ? 0 : whole.x.front().dim(0), shard, shards);
  return slice_rows(whole, first, last);
}

}  // namespace keras::utils
