#pragma once
// What the host does during a captured step that a replay must do again, without running the
// step's host code: the seeds its random kernels drew (a replay draws the same streams' next
// values and uploads them where the recorded kernels read their seed), the checks it deferred
// (registered again after each replay), and, when the whole step is recorded, the per-step
// scalars the optimizer computes on the host (uploaded before each replay) and the host
// bookkeeping of the optimizer and the metrics (done again after each replay). One recording
// is active per thread, while the engine captures a step (src/models/captured_step.cpp).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::internal {

class CaptureRecording {
 public:
  // `seed_table`: memory of `backend` (the one recording) of `capacity` uint64 values where the
  // recorded kernels read their seeds; `scalar_table`: a float32 vector of `backend` where they
  // read per-step scalars. Both are allocated before the recording, so that none of its
  // temporaries shares their memory. Becomes this thread's active recording until destroyed.
  CaptureRecording(Backend& backend, std::uint64_t* seed_table, std::size_t capacity, Tensor scalar_table);
  ~CaptureRecording();
  CaptureRecording(const CaptureRecording&) = delete;
  CaptureRecording& operator=(const CaptureRecording&) = delete;

  static CaptureRecording* active();

  // A seed was drawn; `redraw` draws the value the same stream would give next time.
  void seed_drawn(std::uint64_t value, std::function<std::uint64_t()> redraw);
  // Where a kernel of `kernel_backend` being recorded reads `seed` from: its slot in the seed
  // table if this step drew it, else null (a fixed seed, the same at every replay, is passed by
  // value). A drawn seed used on another backend (which runs now, not at each replay), or
  // beyond the table's capacity, makes the step impossible to record: BackendError.
  const std::uint64_t* seed_slot(std::uint64_t seed, const Backend& kernel_backend) const;
  void check_deferred(const Tensor& count, std::function<std::string()> describe);
  // The next element of the scalar table, as a float32 scalar that receives compute() before
  // each replay (the first included: nothing has run yet).
  Tensor per_step_scalar(Backend& backend, std::function<float()> compute);
  // The next `count` elements, as a float32 vector, that compute(out) writes before each replay.
  Tensor per_step_scalars(Backend& backend, std::size_t count, std::function<void(float* out)> compute);
  // Host work of the step (a step counter, a sample count), done after each replay instead of
  // now (the first included), so that a recording that fails changes nothing on the host. The
  // step's later code must not read what it changes.
  void after_replay(std::function<void()> work) { hooks_.push_back(std::move(work)); }

  struct Draw {
    std::uint64_t value;
    std::function<std::uint64_t()> redraw;
  };
  struct Check {
    Tensor count;
    std::function<std::string()> describe;
  };
  struct Scalars {
    std::size_t count;  // consecutive elements of the scalar table
    std::function<void(float* out)> compute;
  };
  // For the captured step once recording ends: the draws in order and the deferred checks.
  std::vector<Draw> take_draws() { return std::move(draws_); }
  std::vector<Check> take_checks() { return std::move(checks_); }
  // The scalar table's computations, in the order of their elements from the first.
  std::vector<Scalars> take_scalars() { return std::move(scalars_); }
  std::vector<std::function<void()>> take_hooks() { return std::move(hooks_); }

 private:
  Backend& backend_;
  std::uint64_t* seed_table_;
  std::size_t capacity_;
  std::vector<Draw> draws_;
  std::vector<Check> checks_;
  Tensor scalar_table_;
  std::vector<Scalars> scalars_;
  std::int64_t scalars_used_ = 0;  // elements of the scalar table taken
  std::vector<std::function<void()>> hooks_;
  CaptureRecording* previous_;
};

// The active recording's slot for `seed` (see seed_slot), or null when nothing is recorded.
inline const std::uint64_t* recorded_seed_slot(std::uint64_t seed, const Backend& kernel_backend) {
  const CaptureRecording* recording = CaptureRecording::active();
  return recording ? recording->seed_slot(seed, kernel_backend) : nullptr;
}

// Runs `work` (host bookkeeping of a step) now, or, in a recording, after each replay.
void every_step(const std::function<void()>& work);

}  // namespace keras::internal
