#include "keras/internal/capture_recording.hpp"

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"

namespace keras::internal {
namespace {
thread_local CaptureRecording* t_active = nullptr;
}  // namespace

CaptureRecording::CaptureRecording(Backend& backend, std::uint64_t* seed_table, std::size_t capacity)
    : backend_(backend), seed_table_(seed_table), capacity_(capacity), previous_(t_active) {
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

}  // namespace keras::internal
