// The strategy scope and MultiWorkerMirroredStrategy on MPI (host buffers; the MPI library is
// the one the distribution ships, OpenMPI on Debian).
#include "keras/distribute/strategy.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "keras/core/errors.hpp"

#ifdef KERASCPP_WITH_MPI
#include <mpi.h>
#endif
#ifdef KERASCPP_WITH_NCCL
#include "../../backends/cuda/nccl_communicator.hpp"
#endif

namespace keras::distribute {

namespace {
std::atomic<Strategy*> g_current{nullptr};
}  // namespace

Strategy* current() { return g_current.load(); }

void Strategy::submit_device_all_reduce_sum(Backend& device, float*, std::size_t) {
  throw BackendError("this strategy does not sum in " + to_string(device.device()) + " memory (sums_on_device is false)");
}

Strategy::Scope::Scope(Strategy& strategy) : previous_(g_current.exchange(&strategy)) {}
Strategy::Scope::~Scope() { g_current.store(previous_); }

namespace {
thread_local Strategy* t_training = nullptr;
}  // namespace

Strategy* internal::training_strategy() { return t_training; }
internal::TrainingStrategyScope::TrainingStrategyScope(Strategy* strategy) : previous_(t_training) { t_training = strategy; }
internal::TrainingStrategyScope::~TrainingStrategyScope() { t_training = previous_; }

#ifdef KERASCPP_WITH_MPI

namespace {
void check(int status, const char* call) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw BackendError(std::string("MultiWorkerMirroredStrategy: ") + call + " failed: " + std::string(text, length));
}
// MPI counts are ints: large buffers go in pieces.
template <class F>
void in_pieces(std::size_t n, F f) {
  constexpr std::size_t kPiece = static_cast<std::size_t>(INT_MAX) / 8;
  for (std::size_t offset = 0; offset < n; offset += kPiece) f(offset, static_cast<int>(std::min(kPiece, n - offset)));
}

void sum_over(MPI_Comm comm, float* values, std::size_t n) {
  in_pieces(n, [&](std::size_t offset, int count) {
    check(MPI_Allreduce(MPI_IN_PLACE, values + offset, count, MPI_FLOAT, MPI_SUM, comm), "MPI_Allreduce");
  });
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

// The thread that sums submitted buffers, in submission order, on its own duplicate of
// MPI_COMM_WORLD: its collectives never interleave with the ones the caller's thread makes
// meanwhile (SyncBatchNormalization's, in the backward pass), which go over MPI_COMM_WORLD.
struct MultiWorkerMirroredStrategy::Background {
  MPI_Comm comm = MPI_COMM_NULL;
  std::thread thread;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<float*, std::size_t>> queue;
  std::size_t submitted = 0, finished = 0;
  bool stopping = false;
  std::exception_ptr error;  // the first failure; later buffers are skipped, not summed
  double summing = 0.0, waiting = 0.0;

  Background() {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    thread = std::thread([this] { run(); });
  }
  ~Background() {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    thread.join();
    MPI_Comm_free(&comm);
  }

  void run() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, nothing left
      const auto [values, n] = queue.front();
      queue.pop_front();
      const bool skip = error != nullptr;
      lock.unlock();
      const auto start = std::chrono::steady_clock::now();
      std::exception_ptr failure;
      if (!skip) {
        try {
          sum_over(comm, values, n);
        } catch (...) {
          failure = std::current_exception();
        }
      }
      const double took = seconds_since(start);
      lock.lock();
      summing += took;
      if (failure && !error) error = failure;
      ++finished;
      changed.notify_all();
    }
  }

  void submit(float* values, std::size_t n) {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      queue.emplace_back(values, n);
      ++submitted;
    }
    changed.notify_all();
  }

  void wait() {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return finished == submitted; });
    waiting += seconds_since(start);
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
  }
};

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(CommunicationOptions options) : options_(options) {
  int initialized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  int provided = MPI_THREAD_SINGLE;
  if (!initialized) {
    const int wanted = options_.overlap_with_backward ? MPI_THREAD_MULTIPLE : MPI_THREAD_FUNNELED;
    check(MPI_Init_thread(nullptr, nullptr, wanted, &provided), "MPI_Init_thread");
    initialized_mpi_ = true;
  } else {
    check(MPI_Query_thread(&provided), "MPI_Query_thread");
  }
  // Errors come back as codes (and become BackendErrors) instead of aborting the job unheard.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  MPI_Comm machine = MPI_COMM_NULL;  // the workers that share this machine's memory
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &machine),
        "MPI_Comm_split_type");
  check(MPI_Comm_rank(machine, &local_rank_), "MPI_Comm_rank");
  MPI_Comm_free(&machine);
  if (options_.overlap_with_backward && size_ > 1) {
    if (provided == MPI_THREAD_MULTIPLE) {
      background_ = std::make_unique<Background>();
    } else if (rank_ == 0) {
      std::fprintf(stderr,
                   "MultiWorkerMirroredStrategy: this MPI gives no MPI_THREAD_MULTIPLE, so gradients are summed "
                   "after the backward pass, not during it\n");
    }
  }
}

#ifdef KERASCPP_WITH_NCCL
struct MultiWorkerMirroredStrategy::DeviceSums {
  std::unique_ptr<cuda_backend::NcclCommunicator> nccl;
};

bool MultiWorkerMirroredStrategy::sums_on_device(Backend& device) { return device.device().kind == DeviceKind::cuda; }

void MultiWorkerMirroredStrategy::submit_device_all_reduce_sum(Backend& device, float* values, std::size_t n) {
  if (!sums_on_device(device)) return Strategy::submit_device_all_reduce_sum(device, values, n);
  if (!device_sums_) device_sums_ = std::make_unique<DeviceSums>();
  auto& nccl = device_sums_->nccl;
  if (nccl && &nccl->device() != &device) {
    throw BackendError("MultiWorkerMirroredStrategy: gradients on " + device.name() + " after " +
                       nccl->device().name() + "; a worker trains on one GPU (one worker per GPU)");
  }
  if (!nccl) {  // NCCL's bootstrap: rank 0's unique id to every rank over MPI, then all at once
    cuda_backend::NcclCommunicator::UniqueId id{};
    if (rank_ == 0) id = cuda_backend::NcclCommunicator::make_unique_id();
    broadcast_from_chief(id.data(), id.size());
    nccl = std::make_unique<cuda_backend::NcclCommunicator>(device, size_, rank_, id);
  }
  nccl->all_reduce_sum(values, n);
}

void MultiWorkerMirroredStrategy::order_after_device_sums(Backend& device) {
  if (device_sums_ && device_sums_->nccl && &device_sums_->nccl->device() == &device) {
    device_sums_->nccl->order_device_after_sums();
  }
}
#else
struct MultiWorkerMirroredStrategy::DeviceSums {};
bool MultiWorkerMirroredStrategy::sums_on_device(Backend&) { return false; }
void MultiWorkerMirroredStrategy::submit_device_all_reduce_sum(Backend& device, float* values, std::size_t n) {
  Strategy::submit_device_all_reduce_sum(device, values, n);
}
void MultiWorkerMirroredStrategy::order_after_device_sums(Backend&) {}
#endif

MultiWorkerMirroredStrategy::~MultiWorkerMirroredStrategy() {
  device_sums_.reset();
  background_.reset();  // its thread and communicator go before MPI does
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (initialized_mpi_ && !finalized) MPI_Finalize();
}

void MultiWorkerMirroredStrategy::submit_all_reduce_sum(float* values, std::size_t n) {
  if (background_) return background_->submit(values, n);
  const auto start = std::chrono::steady_clock::now();
  all_reduce_sum(values, n);
  summing_at_once_ += seconds_since(start);
}

void MultiWorkerMirroredStrategy::wait_for_submitted() {
  if (background_) background_->wait();
}

MultiWorkerMirroredStrategy::SubmittedTimes MultiWorkerMirroredStrategy::submitted_times() const {
  if (!background_) return {summing_at_once_, summing_at_once_};
  const std::lock_guard<std::mutex> lock(background_->mutex);
  return {background_->summing, background_->waiting};
}

void MultiWorkerMirroredStrategy::all_reduce_sum(float* values, std::size_t n) { sum_over(MPI_COMM_WORLD, values, n); }

void MultiWorkerMirroredStrategy::all_reduce_sum(double* values, std::size_t n) {
  in_pieces(n, [&](std::size_t offset, int count) {
    check(MPI_Allreduce(MPI_IN_PLACE, values + offset, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  });
}

void MultiWorkerMirroredStrategy::broadcast_from_chief(void* bytes, std::size_t n) {
  in_pieces(n, [&](std::size_t offset, int count) {
    check(MPI_Bcast(static_cast<char*>(bytes) + offset, count, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
  });
}

#else

struct MultiWorkerMirroredStrategy::Background {};
struct MultiWorkerMirroredStrategy::DeviceSums {};
bool MultiWorkerMirroredStrategy::sums_on_device(Backend&) { return false; }
void MultiWorkerMirroredStrategy::submit_device_all_reduce_sum(Backend& device, float* values, std::size_t n) {
  Strategy::submit_device_all_reduce_sum(device, values, n);
}
void MultiWorkerMirroredStrategy::order_after_device_sums(Backend&) {}

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(CommunicationOptions options) : options_(options) {
  throw BackendError("MultiWorkerMirroredStrategy needs MPI: this kerascpp was built without it (install "
                     "libopenmpi-dev and reconfigure; tools/setup.sh does)");
}
MultiWorkerMirroredStrategy::~MultiWorkerMirroredStrategy() = default;
void MultiWorkerMirroredStrategy::all_reduce_sum(float*, std::size_t) {}
void MultiWorkerMirroredStrategy::all_reduce_sum(double*, std::size_t) {}
void MultiWorkerMirroredStrategy::broadcast_from_chief(void*, std::size_t) {}
void MultiWorkerMirroredStrategy::submit_all_reduce_sum(float*, std::size_t) {}
void MultiWorkerMirroredStrategy::wait_for_submitted() {}
MultiWorkerMirroredStrategy::SubmittedTimes MultiWorkerMirroredStrategy::submitted_times() const { return {}; }

#endif

std::size_t MultiWorkerMirroredStrategy::bytes_per_pack() const {
  return options_.bytes_per_pack ? options_.bytes_per_pack : Strategy::bytes_per_pack();
}

}  // namespace keras::distribute
