#include "keras/internal/deferred_checks.hpp"

#include <map>
#include <mutex>
#include <vector>

#include "keras/core/autograd.hpp"
#include "keras/internal/capture_recording.hpp"
#include "keras/ops/math.hpp"

namespace keras::internal {
namespace {

struct Pending {
  Tensor count;
  std::function<std::string()> describe;
};

// Per backend: the checks in order, and the running sum of their counts (one add kernel per
// check), so that all of them are read with one host read when they pass.
struct PendingChecks {
  std::vector<Pending> checks;
  Tensor total;
};

std::mutex& checks_mutex() {
  static std::mutex m;
  return m;
}
std::map<Backend*, PendingChecks>& pending() {
  static std::map<Backend*, PendingChecks> p;
  return p;
}
thread_local bool running_checks = false;  // the checks' own reads do not run checks again

}  // namespace

void defer_check(const Tensor& count, std::function<std::string()> describe) {
  if (count.backend().host_addressable()) {  // the kernel is done and the read costs nothing
    if (count.item<std::int32_t>() != 0) throw ValueError(describe());
    return;
  }
  if (auto* recording = CaptureRecording::active()) {  // registered anew after each replay
    recording->check_deferred(count, std::move(describe));
    return;
  }
  NoGradGuard no_grad;
  const Tensor as_float = count.astype(float32);
  std::lock_guard lock(checks_mutex());
  PendingChecks& p = pending()[&count.backend()];
  p.total = p.total.defined() ? ops::add(p.total, as_float) : as_float;
  p.checks.push_back({count, std::move(describe)});
}

void run_deferred_checks(Backend& backend) {
  if (running_checks) return;
  PendingChecks taken;
  {
    std::lock_guard lock(checks_mutex());
    const auto it = pending().find(&backend);
    if (it == pending().end()) return;
    taken = std::move(it->second);
    pending().erase(it);
  }
  running_checks = true;
  struct Reset {
    ~Reset() { running_checks = false; }
  } reset;
  if (taken.total.item<float>() == 0.0f) return;
  for (const auto& check : taken.checks) {
    if (check.count.item<std::int32_t>() != 0) throw ValueError(check.describe());
  }
}

}  // namespace keras::internal
