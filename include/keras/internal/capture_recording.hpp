#pragma once
// What the host does during a captured step that a replay must do again, without running the
// step's host code: the seeds its random kernels drew (a replay draws the same streams' next
// values and uploads them where the recorded kernels read their seed) and the checks it deferred
// (registered again after each replay). One recording is active per thread, while the engine
// captures a step (src/models/captured_step.cpp).
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
  // recorded kernels read their seeds. Becomes this thread's active recording until destroyed.
  CaptureRecording(Backend& backend, std::uint64_t* seed_table, std::size_t capacity);
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

  struct Draw {
    std::uint64_t value;
    std::function<std::uint64_t()> redraw;
  };
  struct Check {
    Tensor count;
    std::function<std::string()> describe;
  };
  // For the captured step once recording ends: the draws in order and the deferred checks.
  std::vector<Draw> take_draws() { return std::move(draws_); }
  std::vector<Check> take_checks() { return std::move(checks_); }

 private:
  Backend& backend_;
  std::uint64_t* seed_table_;
  std::size_t capacity_;
  std::vector<Draw> draws_;
  std::vector<Check> checks_;
  CaptureRecording* previous_;
};

// The active recording's slot for `seed` (see seed_slot), or null when nothing is recorded.
inline const std::uint64_t* recorded_seed_slot(std::uint64_t seed, const Backend& kernel_backend) {
  const CaptureRecording* recording = CaptureRecording::active();
  return recording ? recording->seed_slot(seed, kernel_backend) : nullptr;
}

}  // namespace keras::internal
