// One worker of the NCCL check (ctest nccl_sums_over_mpi; on the GPU machine also under
// `mpirun -np N` with N GPUs): MultiWorkerMirroredStrategy bootstraps NCCL over MPI at the first
// device sum, on this worker's GPU (cuda:<local replica id>), and sums a buffer that a kernel has
// just written, with a kernel queued after the sum reading its result. Worker r contributes
// r + 1 + i at element i, so every worker must read ranks * (ranks + 1) / 2 + ranks * i, then
// + 1. Exit 77 (ctest: skipped) where there is no GPU or no NCCL, saying why.
#include <cstdio>
#include <string>
#include <vector>

#include "keras/keras.hpp"

using namespace keras;

int main() {
#ifndef KERASCPP_TEST_NCCL
  std::printf("SKIPPED NCCL sums over MPI: this build has no NCCL (it needs the CUDA backend and MPI)\n");
  return 77;
#else
  try {
    distribute::MultiWorkerMirroredStrategy strategy;
    const std::string name = "cuda:" + std::to_string(strategy.local_replica_id());
    Backend* gpu = nullptr;
    try {
      gpu = &backend::get(name);
    } catch (const BackendError& e) {
      std::printf("SKIPPED NCCL sums over MPI: %s\n", e.what());
      return 77;
    }
    const int ranks = strategy.num_replicas_in_sync(), rank = strategy.replica_id();
    const std::int64_t n = (std::int64_t{1} << 22) + 3;  // 16 MiB and an odd tail
    std::vector<float> mine(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) mine[static_cast<std::size_t>(i)] = static_cast<float>(rank + 1 + (i % 1000));
    const Tensor base = Tensor::from_vector(mine, {n}, gpu);
    const Tensor written = base * 1.0f;  // queued just before the sum, which must wait for it
    if (!strategy.sums_on_device(*gpu)) throw BackendError("sums_on_device is false for " + name);
    strategy.submit_device_all_reduce_sum(*gpu, internal::data<float>(written), static_cast<std::size_t>(n));
    strategy.order_after_device_sums(*gpu);
    const std::vector<float> after = (written + 1.0f).to_vector<float>();  // queued after the sum
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double expected = ranks * (ranks + 1) / 2.0 + ranks * static_cast<double>(i % 1000) + 1.0;
      if (after[static_cast<std::size_t>(i)] != static_cast<float>(expected) && wrong++ < 5) {
        std::fprintf(stderr, "element %lld: %g, expected %g\n", static_cast<long long>(i), after[static_cast<std::size_t>(i)],
                     expected);
      }
    }
    if (strategy.is_chief()) {
      std::printf("NCCL over MPI: %d worker(s), %lld floats summed on %s: %s\n", ranks, static_cast<long long>(n),
                  name.c_str(), wrong ? "WRONG" : "all right");
    }
    return wrong ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nccl_worker: %s\n", e.what());
    return 1;
  }
#endif
}
