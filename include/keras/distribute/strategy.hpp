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

namespace keras::distribute {

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Replicas that train in lockstep (Keras' num_replicas_in_sync) and this process's index.
  virtual int num_replicas_in_sync() const = 0;
  virtual int replica_id() const = 0;
  // Keras' chief: worker 0, the one that logs and writes checkpoints.
  bool is_chief() const { return replica_id() == 0; }

  // Collectives over host buffers; every replica calls them in the same order.
  virtual void all_reduce_sum(float* values, std::size_t n) = 0;
  virtual void all_reduce_sum(double* values, std::size_t n) = 0;
  virtual void broadcast_from_chief(void* bytes, std::size_t n) = 0;

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
  MultiWorkerMirroredStrategy();
  ~MultiWorkerMirroredStrategy() override;
  MultiWorkerMirroredStrategy(const MultiWorkerMirroredStrategy&) = delete;
  MultiWorkerMirroredStrategy& operator=(const MultiWorkerMirroredStrategy&) = delete;

  int num_replicas_in_sync() const override { return size_; }
  int replica_id() const override { return rank_; }
  void all_reduce_sum(float* values, std::size_t n) override;
  void all_reduce_sum(double* values, std::size_t n) override;
  void broadcast_from_chief(void* bytes, std::size_t n) override;

 private:
  int rank_ = 0, size_ = 1;
  bool initialized_mpi_ = false;  // whether this object initialized MPI (and so finalizes it)
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
