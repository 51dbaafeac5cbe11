#pragma once
// keras::distribute: Keras' distribution strategies in C++. A model compiled inside a strategy's
// scope (the C++ form of `with strategy.scope():`) trains data-parallel in fit, with the same
// fit call: each replica takes its share of every global batch, gradients are summed across
// replicas (weighted by each replica's share of the batch, so the step is the global batch's
// mean gradient), the initial weights come from the chief, the epoch's logged loss and metrics
// are the global figures, and only the chief shows the progress bar and writes ModelCheckpoint
// and CSVLogger files. docs/distributed.md says what is built and how to launch it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/backend.hpp"
#include "keras/core/tensor.hpp"

namespace keras::distribute {

// Keras' tf.distribute.experimental.CommunicationOptions, as far as it applies here.
struct CommunicationOptions {
  // Gradients are summed in packs of about this many bytes, each started as soon as all its
  // gradients exist (0: 4 MiB). Larger packs mean fewer collectives, smaller ones more overlap.
  std::size_t bytes_per_pack = 0;
  // Whether packs are summed on a background thread while the backward pass goes on (PyTorch
  // DDP's overlap). Needs an MPI with MPI_THREAD_MULTIPLE; without it they are summed after it.
  bool overlap_with_backward = true;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Replicas that train in lockstep (Keras' num_replicas_in_sync) and this process's index.
  virtual int num_replicas_in_sync() const = 0;
  virtual int replica_id() const = 0;
  // Keras' chief: worker 0, the one that logs and writes checkpoints.
  bool is_chief() const { return replica_id() == 0; }
  // Replicas this process trains itself, one per device (MirroredStrategy: all of them); the
  // others belong to other processes. replica_id() is then this process's first replica.
  virtual int local_replicas() const { return 1; }
  // The processes that train together, and this one's index: fit cuts each global batch into
  // one share per process, and the collectives below run across processes.
  int num_workers() const { return num_replicas_in_sync() / local_replicas(); }
  int worker_id() const { return replica_id() / local_replicas(); }

  // Collectives over host buffers; every replica calls them in the same order.
  virtual void all_reduce_sum(float* values, std::size_t n) = 0;
  virtual void all_reduce_sum(double* values, std::size_t n) = 0;
  virtual void broadcast_from_chief(void* bytes, std::size_t n) = 0;

  // all_reduce_sum(values, n), but it may return before the sum is done, so that it overlaps
  // the caller's work: `values` must stay alive and untouched until wait_for_submitted()
  // returns. Every replica submits in the same order. The default sums at once.
  virtual void submit_all_reduce_sum(float* values, std::size_t n) { all_reduce_sum(values, n); }
  virtual void wait_for_submitted() {}
  // The size of the packs fit sums the gradients in (CommunicationOptions::bytes_per_pack).
  virtual std::size_t bytes_per_pack() const { return std::size_t{4} << 20; }

  // Sums in device memory (NCCL): whether this strategy sums buffers of `device` there, without
  // host copies. If so, fit packs the gradients in the device's memory and calls
  // submit_device_all_reduce_sum for each pack, which is ordered after the work already queued on
  // the device and returns at once, then order_after_device_sums before the optimizer step: the
  // device's later work waits for the sums (the host does not).
  virtual bool sums_on_device(Backend& device) {
    (void)device;
    return false;
  }
  virtual void submit_device_all_reduce_sum(Backend& device, float* values, std::size_t n);
  virtual void order_after_device_sums(Backend& device) { (void)device; }

  // While a Scope lives, compile() attaches this strategy to the model it compiles.
  class Scope {
   public:
    explicit Scope(Strategy& strategy);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Strategy* previous_;
  };
  Scope scope() { return Scope(*this); }
};

// One process per worker, started by mpirun (`mpirun -np 2 ./train`, `mpirun -H a,b ./train`);
// MPI carries the gradients, metrics and initial weights. Run without mpirun it is one replica.
// Construct it once, first thing in main (it initializes MPI), and keep it alive until the end
// (its destructor finalizes MPI). A BackendError when kerascpp was built without MPI.
class MultiWorkerMirroredStrategy final : public Strategy {
 public:
  explicit MultiWorkerMirroredStrategy(CommunicationOptions options = {});
  ~MultiWorkerMirroredStrategy() override;
  MultiWorkerMirroredStrategy(const MultiWorkerMirroredStrategy&) = delete;
  MultiWorkerMirroredStrategy& operator=(const MultiWorkerMirroredStrategy&) = delete;

  int num_replicas_in_sync() const override { return size_; }
  int replica_id() const override { return rank_; }
  void all_reduce_sum(float* values, std::size_t n) override;
  void all_reduce_sum(double* values, std::size_t n) override;
  void broadcast_from_chief(void* bytes, std::size_t n) override;
  // Submitted sums run in order on a background thread, on a communicator of their own, when
  // overlap_with_backward is set and MPI allows threads; else at once.
  void submit_all_reduce_sum(float* values, std::size_t n) override;
  void wait_for_submitted() override;
  std::size_t bytes_per_pack() const override;
  // Whether submitted sums overlap the caller's work (see CommunicationOptions).
  bool overlaps() const { return background_ != nullptr; }

  // This worker's index among the workers on its machine: with one worker per GPU, the GPU it
  // trains on (`backend::set("cuda:" + std::to_string(strategy.local_replica_id()))`).
  int local_replica_id() const { return local_rank_; }
  // Where kerascpp has NCCL (built with the CUDA backend): gradients in a cuda backend's memory
  // are summed there by NCCL, on a stream of its own, beside the backward pass; MPI carries the
  // NCCL bootstrap. The communicator is made at the first sum, by every worker at once (the first
  // training step), for that GPU.
  bool sums_on_device(Backend& device) override;
  void submit_device_all_reduce_sum(Backend& device, float* values, std::size_t n) override;
  void order_after_device_sums(Backend& device) override;

  // Seconds spent so far summing submitted buffers, and waiting for them in wait_for_submitted:
  // 1 - waiting / summing is the share of the summing that the caller's work hid.
  struct SubmittedTimes {
    double summing = 0.0, waiting = 0.0;
  };
  SubmittedTimes submitted_times() const;

 private:
  struct Background;
  struct DeviceSums;
  CommunicationOptions options_;
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  bool initialized_mpi_ = false;  // whether this object initialized MPI (and so finalizes it)
  std::unique_ptr<Background> background_;
  std::unique_ptr<DeviceSums> device_sums_;
  double summing_at_once_ = 0.0;  // submitted sums run at once (no background thread)
};

// One process, one replica per device (Keras' tf.distribute.MirroredStrategy): a model compiled
// in its scope lives on the first device, and fit trains a copy of it on each further device.
// Every step cuts the global batch into one consecutive slice per device, runs each slice's
// forward and backward pass on its device (devices run side by side: every kernel is queued
// there), sums the gradients on the first device, weighted by each slice's share of the batch,
// and steps the model's own optimizer once; BatchNormalization's moving statistics become the
// mean of the replicas'. Each step starts by copying the model's weights to the other devices,
// so the model (its optimizer state, callbacks, checkpoints) is the one training state. The loss
// and metrics are computed over the whole batch. evaluate and predict run on the first device.
// BatchNormalization(synchronized=true) is not built here (it needs the replicas' forward
// passes to meet); MultiWorkerMirroredStrategy, one process per device, has it.
class MirroredStrategy final : public Strategy {
 public:
  // Backend specs, the first the model's: {"cuda:0", "cuda:1"}. Empty: every GPU the cuda
  // backend sees, or the active backend alone when there is none (Keras: the CPU). A spec that
  // names no usable backend is a BackendError; the same device twice is a ValueError.
  explicit MirroredStrategy(std::vector<std::string> devices = {});
  ~MirroredStrategy() override;
  MirroredStrategy(const MirroredStrategy&) = delete;
  MirroredStrategy& operator=(const MirroredStrategy&) = delete;

  int num_replicas_in_sync() const override { return static_cast<int>(devices_.size()); }
  int replica_id() const override { return 0; }
  int local_replicas() const override { return num_replicas_in_sync(); }
  const std::vector<Backend*>& devices() const { return devices_; }

  // Collectives across processes: this strategy is one process, so there is nothing to add.
  void all_reduce_sum(float* values, std::size_t n) override;
  void all_reduce_sum(double* values, std::size_t n) override;
  void broadcast_from_chief(void* bytes, std::size_t n) override;

  // The replicas' gradients, summed: packs[i] is one float32 vector in devices()[i]'s memory,
  // the same length on every device; the sum lands in packs[0]. Between cuda devices, where
  // kerascpp has NCCL, one ncclAllReduce per device in a group (NCCL's rings over NVLink or
  // PCIe); otherwise copies to the first device and adds there. Queued like kernels: the first
  // device's later work comes after the sum, and no device reuses its pack's memory before.
  void sum_into_first(std::vector<Tensor>& packs);

 private:
  struct Nccl;
  std::vector<Backend*> devices_;
  std::unique_ptr<Nccl> nccl_;  // made at the first sum between cuda devices
};

// The strategy of the innermost live scope on any thread, or null.
Strategy* current();

namespace internal {
// The strategy of the model whose training step this thread is running (set by fit and
// train_on_batch for the step), else null: what BatchNormalization(synchronized=true) reduces
// its statistics over.
Strategy* training_strategy();
class TrainingStrategyScope {
 public:
  explicit TrainingStrategyScope(Strategy* strategy);
  ~TrainingStrategyScope();
  TrainingStrategyScope(const TrainingStrategyScope&) = delete;
  TrainingStrategyScope& operator=(const TrainingStrategyScope&) = delete;

 private:
  Strategy* previous_;
};
}  // namespace internal

}  // namespace keras::distribute
