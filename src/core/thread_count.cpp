// How many threads host kernels use: $OMP_NUM_THREADS, else the affinity mask capped by the
// cgroup CPU quota (containers often allow fewer cores than the machine shows).
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"

namespace keras::backend {
namespace {

// cgroup v2 "cpu.max" ("max 100000" or "<quota> <period>"); 0 when there is no limit.
int cgroup_cpu_limit() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
  const double limit = std::strtod(quota.c_str(), nullptr);  // 0 when unreadable
  if (!(limit > 0)) return 0;
  return std::max(1, static_cast<int>(std::ceil(limit / static_cast<double>(period))));
}

int default_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && *env) {
    const int n = std::atoi(env);  // "4" or "4,2": the first level counts
    if (n >= 1) return n;
  }
  int cores = 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = std::max(1, CPU_COUNT(&set));
  if (const int limit = cgroup_cpu_limit(); limit > 0) cores = std::min(cores, limit);
  return cores;
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> threads{default_threads()};
  return threads;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) {
    throw ValueError("keras::backend::set_num_threads: need at least 1 thread, got " +
                     std::to_string(n));
  }
  thread_setting().store(n);
}

int num_threads() { return thread_setting().load(); }

}  // namespace keras::backend
