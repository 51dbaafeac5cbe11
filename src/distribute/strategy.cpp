// The strategy scope and MultiWorkerMirroredStrategy on MPI (host buffers; the MPI library is
// the one the distribution ships, OpenMPI on Debian).
#include "keras/distribute/strategy.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <string>

#include "keras/core/errors.hpp"

#ifdef KERASCPP_WITH_MPI
#include <mpi.h>
#endif

namespace keras::distribute {

namespace {
std::atomic<Strategy*> g_current{nullptr};
}  // namespace

Strategy* current() { return g_current.load(); }

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
}  // namespace

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy() {
  int initialized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  if (!initialized) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    initialized_mpi_ = true;
  }
  // Errors come back as codes (and become BackendErrors) instead of aborting the job unheard.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
}

MultiWorkerMirroredStrategy::~MultiWorkerMirroredStrategy() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (initialized_mpi_ && !finalized) MPI_Finalize();
}

void MultiWorkerMirroredStrategy::all_reduce_sum(float* values, std::size_t n) {
  in_pieces(n, [&](std::size_t offset, int count) {
    check(MPI_Allreduce(MPI_IN_PLACE, values + offset, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  });
}

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

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy() {
  throw BackendError("MultiWorkerMirroredStrategy needs MPI: this kerascpp was built without it (install "
                     "libopenmpi-dev and reconfigure; tools/setup.sh does)");
}
MultiWorkerMirroredStrategy::~MultiWorkerMirroredStrategy() = default;
void MultiWorkerMirroredStrategy::all_reduce_sum(float*, std::size_t) {}
void MultiWorkerMirroredStrategy::all_reduce_sum(double*, std::size_t) {}
void MultiWorkerMirroredStrategy::broadcast_from_chief(void*, std::size_t) {}

#endif

}  // namespace keras::distribute
