// keras::distribute on this machine: MPI all-reduce bandwidth, and the training throughput of
// seed 003's CNN and seed 004's VGG9 in fit at global batch 64, for however many workers mpirun
// starts (docs/distributed.md records 1 and 2). Only the chief prints.
//
//   mpirun -np 1 build/bench/data_parallel_bench [--threads N]
//   mpirun --oversubscribe -np 2 build/bench/data_parallel_bench --threads 1 [--no-overlap] [--bytes-per-pack B]
//
// With 2 or more workers it also prints the time the gradient sums took and the share of it that
// the backward pass hid (1 - waited / summed).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/cifar100_convnet/convnet_model.hpp"
#include "apps/cifar100_vgg9/vgg9_model.hpp"
#include "keras/keras.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void bandwidth(keras::distribute::Strategy& strategy) {
  for (const std::size_t mib : {1, 16, 64}) {
    std::vector<float> buffer(mib * (1 << 20) / sizeof(float), 1.0f);
    strategy.all_reduce_sum(buffer.data(), buffer.size());  // warm-up
    const int iterations = 5;
    const auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) strategy.all_reduce_sum(buffer.data(), buffer.size());
    const double t = seconds_since(start) / iterations;
    const int n = strategy.num_replicas_in_sync();
    // Bus bandwidth as NCCL reports it: a ring all-reduce moves 2 (n - 1) / n of the buffer per rank.
    const double bus = n > 1 ? 2.0 * (n - 1) / n * static_cast<double>(mib) / 1024.0 / t : 0.0;
    if (strategy.is_chief()) {
      std::printf("all-reduce %3zu MiB over %d workers: %8.2f ms, bus bandwidth %6.2f GiB/s\n", mib, n, t * 1e3, bus);
    }
  }
}

void training(keras::distribute::MultiWorkerMirroredStrategy& strategy, const char* label, keras::Sequential model,
              std::int64_t samples) {
  keras::utils::set_random_seed(3);
  const keras::Tensor x = keras::random::uniform({samples, 32, 32, 3}, {.seed = 1});
  const keras::Tensor y = keras::random::randint({samples}, 0, 100, {.seed = 2});
  {
    auto scope = strategy.scope();
    model.compile({.optimizer = keras::optimizers::Adam(), .loss = "sparse_categorical_crossentropy"});
  }
  model.fit(x, y, {.batch_size = 64, .epochs = 1, .verbose = 0, .shuffle = false});  // warm-up
  const auto before = strategy.submitted_times();
  const auto start = Clock::now();
  model.fit(x, y, {.batch_size = 64, .epochs = 1, .verbose = 0, .shuffle = false});
  const double t = seconds_since(start);
  const auto after = strategy.submitted_times();
  if (strategy.is_chief()) {
    std::printf("%-28s %d workers x %d threads: %7.1f img/s (global batch 64, %lld images)\n", label,
                strategy.num_replicas_in_sync(), keras::backend::num_threads(), static_cast<double>(samples) / t,
                static_cast<long long>(samples));
    const double summing = after.summing - before.summing, waiting = after.waiting - before.waiting;
    if (strategy.num_replicas_in_sync() > 1) {
      // The gradient sums' time, and how much of it the backward pass hid.
      std::printf("%-28s gradient sums %.3f s of %.3f s (%s), waited for %.3f s: %.0f%% hidden\n", "", summing, t,
                  strategy.overlaps() ? "during the backward pass" : "after it", waiting,
                  summing > 0 ? 100.0 * (1.0 - waiting / summing) : 0.0);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  keras::distribute::CommunicationOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--no-overlap") options.overlap_with_backward = false;
    if (std::string(argv[i]) == "--bytes-per-pack" && i + 1 < argc) options.bytes_per_pack = std::stoul(argv[i + 1]);
  }
  keras::distribute::MultiWorkerMirroredStrategy strategy(options);
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--threads") keras::backend::set_num_threads(std::stoi(argv[i + 1]));
  }
  bandwidth(strategy);
  training(strategy, "seed 003 CNN", apps::make_convnet(), 1024);
  training(strategy, "seed 004 VGG9", apps::make_vgg9(), 256);
  return 0;
}
