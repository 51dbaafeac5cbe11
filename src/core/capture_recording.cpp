#include "keras/internal/capture_recording.hpp"

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"
#include "keras/core/tensor.hpp"

namespace keras::internal {
namespace {
thread_local CaptureRecording* t_active = nullptr;
}  // namespace

CaptureRecording::CaptureRecording(Backend& backend, std::uint64_t* seed_table, std::size_t capacity,
                                   Tensor scalar_table)
    : backend_(backend), seed_table_(seed_table), capacity_(capacity), scalar_table_(std::move(scalar_table)),
      previous_(t_active) {
  t_active = this;
}

CaptureRecording::~CaptureRecording() { t_active = previous_; }

CaptureRecording* CaptureRecording::active() { return t_active; }

void CaptureRecording::seed_drawn(std::uint64_t value, std::function<std::uint64_t()> redraw) {
  draws_.push_back({value, std::move(redraw)});
}

const std::uint64_t* CaptureRecording::seed_slot(std::uint64_t seed, const Backend& kernel_backend) const {
  // The latest draw of that value: 64-bit draws repeat only by design (a fixed seed).
  for (std::size_t i = draws_.size(); i-- > 0;) {
    if (draws_[i].value != seed) continue;
    if (&kernel_backend != &backend_) {
      throw BackendError("the captured step draws random numbers on '" + kernel_backend.name() + "', not on '" +
                         backend_.name() + "', which records it; it runs uncaptured");
    }
    if (i >= capacity_) {
      throw BackendError("the captured step draws more than " + std::to_string(capacity_) +
                         " random seeds; it runs uncaptured");
    }
    return seed_table_ + i;
  }
  return nullptr;
}

void CaptureRecording::check_deferred(const Tensor& count, std::function<std::string()> describe) {
  checks_.push_back({count, std::move(describe)});
}

Tensor CaptureRecording::per_step_scalar(Backend& backend, std::function<float()> compute) {
  return per_step_scalars(backend, 1, [compute = std::move(compute)](float* out) { *out = compute(); })[0];
}

Tensor CaptureRecording::per_step_scalars(Backend& backend, std::size_t count,
                                          std::function<void(float* out)> compute) {
  if (&backend != &backend_) {
    throw BackendError("the captured step computes a per-step value for '" + backend.name() + "', not for '" +
                       backend_.name() + "', which records it; it runs uncaptured");
  }
  const std::int64_t first = scalars_used_;
  const std::int64_t end = first + static_cast<std::int64_t>(count);
  if (!scalar_table_.defined() || end > scalar_table_.size()) {
    throw BackendError("the captured step computes more than " +
                       std::to_string(scalar_table_.defined() ? scalar_table_.size() : 0) +
                       " per-step values on the host; it runs uncaptured");
  }
  scalars_.push_back({count, std::move(compute)});
  scalars_used_ = end;
  return scalar_table_.slice(first, end);
}

void every_step(const std::function<void()>& work) {
  if (CaptureRecording* recording = CaptureRecording::active()) {
    recording->after_replay(work);
  } else {
    work();
  }
}

}  // namespace keras::internal
