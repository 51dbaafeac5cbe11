#pragma once
// A training step's gradients summed across the replicas in packs (PyTorch DDP's buckets,
// Keras' bytes_per_pack), each pack submitted to the strategy as soon as every gradient in it
// is final, so that the sums run while the backward pass goes on.
//
// The packs are fixed per step from the sources alone, in reverse order of the sources (the
// backward pass finishes the last layers first), and are submitted strictly in that order, so
// every replica makes the same collectives in the same order whatever order its gradients come
// in. The sum of each element is the same as summing all the gradients after the backward pass.
//
// Where the strategy sums in the device's memory (sums_on_device: NCCL), the packs are one
// float32 tensor on the device, filled by the device's own kernels, and the summed gradients are
// views of it: no host copies. Otherwise the packs are host memory.
#include <cstddef>
#include <vector>

#include "keras/core/tensor.hpp"
#include "keras/distribute/strategy.hpp"

namespace keras::distribute::internal {

class GradientPacks {
 public:
  // `sources` give the gradients' shapes and dtypes; every gradient is multiplied by `weight`
  // (this replica's share of the global batch) before the sum.
  GradientPacks(Strategy& strategy, const std::vector<Tensor>& sources, float weight);
  // Waits for what was submitted (the strategy may still be reading it), also when a step fails.
  ~GradientPacks();
  GradientPacks(const GradientPacks&) = delete;
  GradientPacks& operator=(const GradientPacks&) = delete;

  // Gradient i is final (GradientTape's ready callback): copied into its pack, and every pack
  // that is now complete, in order, is submitted.
  void ready(std::size_t i, const Tensor& gradient);

  // Waits for the sums; the summed gradients, in the sources' order, shapes and dtypes.
  std::vector<Tensor> sums();

 private:
  struct Pack {
    std::size_t begin = 0, end = 0;  // its floats in flat_
    std::size_t waiting_for = 0;     // gradients not yet copied in
  };
  float* pack_data();
  Strategy& strategy_;
  std::vector<Tensor> sources_;
  float weight_;
  Backend* device_ = nullptr;          // set when the strategy sums in this device's memory
  Tensor device_flat_;                 // then: every gradient, sources' order, on the device
  std::vector<float> flat_;            // else: the same on the host
  std::vector<std::size_t> offset_;    // gradient i's first float in flat_
  std::vector<std::size_t> pack_of_;   // gradient i's pack
  std::vector<bool> copied_;
  std::vector<Pack> packs_;            // in submission order
  std::size_t next_to_submit_ = 0;
  bool waited_ = false;
};

}  // namespace keras::distribute::internal
