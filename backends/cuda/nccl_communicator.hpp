#pragma once
// One NCCL communicator across the ranks of a job, for the memory of one GPU (a cuda backend),
// with a stream of its own: a sum waits for the work already queued on the device, and runs
// beside the device's later work until order_device_after_sums() makes that work wait for it.
// The interface has no CUDA or NCCL types, so that the strategy (plain C++) can hold one.
// The caller bootstraps it: rank 0 makes the unique id, every rank gets it (over MPI), and every
// rank constructs its communicator at the same point (a collective).
#include <array>
#include <cstddef>
#include <memory>

#include "keras/core/backend.hpp"

namespace keras::cuda_backend {

class NcclCommunicator {
 public:
  static constexpr std::size_t kIdBytes = 128;  // NCCL_UNIQUE_ID_BYTES
  using UniqueId = std::array<char, kIdBytes>;
  // Rank 0's part of the bootstrap (ncclGetUniqueId).
  static UniqueId make_unique_id();

  // One thread driving several communicators of its process (one per GPU) makes and uses them
  // between these (ncclGroupStart / ncclGroupEnd): NCCL then starts the calls of every rank
  // together at group_end instead of waiting in the first rank's for the others.
  static void group_start();
  static void group_end();

  // `device` must be a cuda backend (a BackendError names what it is otherwise).
  NcclCommunicator(Backend& device, int ranks, int rank, const UniqueId& id);
  ~NcclCommunicator();
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  // Sums n floats of device memory in place across the ranks (ncclAllReduce); returns at once.
  void all_reduce_sum(float* values, std::size_t n);
  // The device's work queued from now on waits for every sum submitted so far.
  void order_device_after_sums();
  Backend& device() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace keras::cuda_backend
