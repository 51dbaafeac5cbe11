// libkerascpp_openmp_wait.so: what this process's idle OpenMP threads do while they wait,
// chosen for the user when they have not chosen (neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT
// set): OMP_WAIT_POLICY=passive, sleep at once, instead of libgomp's default of spinning 300,000
// times first. A spinning thread holds its core, so when two trainings, a test run beside
// another, or fit's own data workers share the cores, each process loses a scheduler slice at
// every barrier where one of its threads waits for a descheduled one. Measured on 2 cores
// (docs/benchmarks.md, "OpenMP's wait policy"): two seed-001 MLP trainings at once took 69-168 s
// each with the default spin against 1.5 s alone, and 2.7 s with passive waiting; alone,
// passive is within noise for the CNN and VGG9 steps.
//
// Why a shared library of its own: libgomp reads its environment once, in its own constructor,
// and the constructors of a static library (kerascpp is one) run after those of every shared
// library. glibc runs the constructors of shared libraries that do not depend on one another in
// the reverse of the order they were loaded, so this one, linked after libgomp (the kerascpp
// CMake target puts it there), runs first. It depends on libc alone, whose constructor (which
// sets the environment up) has run by then. When a program's link order puts it first anyway,
// libgomp has started, the setting would be too late, and it is not made: the state says so
// and the cpu backend tells the user once (docs/decisions.md, "Waiting threads").
#include <dlfcn.h>
#include <stdlib.h>

namespace {

constexpr const char* kWaitPolicy = "passive";

// 0: not decided yet; values as kerascpp_openmp_wait_policy_state documents them.
int g_state = 0;

bool set_in_environment(const char* name) {
  const char* value = getenv(name);
  return value != nullptr && *value != '\0';
}

// Whether libgomp's constructor has run: before it, libgomp's global default thread count is
// its static 1; afterwards it is the CPU count (or OMP_NUM_THREADS). Looked up by name, since
// linking libgomp would make it a dependency of this library and so start it first. On one
// CPU (or with OMP_NUM_THREADS=1) the answer is "not started" either way, and then there is no
// thread to wait.
bool libgomp_started() {
  using MaxThreads = int (*)();
  const auto max_threads = reinterpret_cast<MaxThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return max_threads != nullptr && max_threads() > 1;
}

__attribute__((constructor)) void choose_wait_policy() {
  if (set_in_environment("OMP_WAIT_POLICY") || set_in_environment("GOMP_SPINCOUNT")) {
    g_state = 1;
  } else if (libgomp_started()) {
    g_state = 3;
  } else {
    setenv("OMP_WAIT_POLICY", kWaitPolicy, 1);  // 1: an empty value counts as unset
    g_state = 2;
  }
}

}  // namespace

// 1: the user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT was set); 2: this library set
// OMP_WAIT_POLICY before libgomp read it; 3: libgomp had started first (link order), so its
// default spin stands. The cpu backend reads it, and takes the variable this library set out of
// the environment again once libgomp has read it, so that child processes get the user's.
extern "C" int kerascpp_openmp_wait_policy_state() { return g_state; }
extern "C" const char* kerascpp_openmp_wait_policy() { return kWaitPolicy; }
