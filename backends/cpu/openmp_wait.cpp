// The static library's half of the OpenMP wait policy (openmp_wait.hpp): reads what
// libkerascpp_openmp_wait.so chose and takes its variable out of the environment again.
#include "openmp_wait.hpp"

#include <cstdlib>
#include <iostream>
#include <mutex>

extern "C" int kerascpp_openmp_wait_policy_state();
extern "C" const char* kerascpp_openmp_wait_policy();

namespace keras::cpu {
namespace {

enum State { kUndecided = 0, kUsers = 1, kOurs = 2, kTooLate = 3 };

// libgomp read OMP_WAIT_POLICY in its constructor, before any of the program's own; the variable
// leaves the environment now (static initialization, before the program starts threads), so
// child processes, OpenMP runtimes among them, get the user's environment unchanged.
const int g_state = [] {
  const int state = kerascpp_openmp_wait_policy_state();
  if (state == kOurs) unsetenv("OMP_WAIT_POLICY");
  return state;
}();

std::string variable(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(name) + "=" + value : std::string();
}

}  // namespace

std::string openmp_wait_policy() {
  switch (g_state) {
    case kUsers: {
      std::string set = variable("OMP_WAIT_POLICY");
      const std::string spin = variable("GOMP_SPINCOUNT");
      if (!spin.empty()) set += (set.empty() ? "" : " ") + spin;
      return set + " (the user's)";
    }
    case kOurs:
      return std::string("OMP_WAIT_POLICY=") + kerascpp_openmp_wait_policy() + " (kerascpp's default)";
    case kTooLate:
      return "libgomp's default spin (libgomp started before kerascpp could set OMP_WAIT_POLICY)";
    default:
      return "libgomp's default spin (undecided)";
  }
}

void note_openmp_wait_policy_once() {
  if (g_state != kTooLate) return;
  static std::once_flag once;
  std::call_once(once, [] {
    std::cerr << "kerascpp cpu backend: OpenMP started before libkerascpp_openmp_wait.so could set its wait "
                 "policy (link it after libgomp, as the kerascpp::kerascpp CMake target does), so idle OpenMP "
                 "threads spin 300,000 times before sleeping; when other processes share these cores, set "
                 "OMP_WAIT_POLICY="
              << kerascpp_openmp_wait_policy() << "\n";
  });
}

}  // namespace keras::cpu
