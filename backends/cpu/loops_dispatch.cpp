// Picks the ISA level of the CPU backend's loops (loops.hpp) once per process: the highest this
// CPU runs, or the one $KERASCPP_CPU_LOOPS names.
#include <cstdlib>
#include <string>

#include "keras/core/errors.hpp"
#include "loops.hpp"

namespace keras::cpu {

// One table per level compiled into this library (CMakeLists.txt defines which).
#ifdef KERASCPP_LOOPS_NATIVE
namespace native { const Loops& loops_table(); }
#else
namespace baseline { const Loops& loops_table(); }
#ifdef KERASCPP_LOOPS_X86_LEVELS
namespace avx2 { const Loops& loops_table(); }
namespace avx512 { const Loops& loops_table(); }
#endif
#endif

namespace {

const Loops& choose() {
#ifdef KERASCPP_LOOPS_NATIVE
  // KERASCPP_NATIVE_ARCH=ON: one level, built for (and only for) the building machine.
  return native::loops_table();
#else
  const char* forced = std::getenv("KERASCPP_CPU_LOOPS");
  const std::string wanted = forced ? forced : "";
#ifdef KERASCPP_LOOPS_X86_LEVELS
  __builtin_cpu_init();
  const bool has_avx512 = __builtin_cpu_supports("x86-64-v4");
  const bool has_avx2 = __builtin_cpu_supports("x86-64-v3");
  if (wanted.empty()) {
    if (has_avx512) return avx512::loops_table();
    if (has_avx2) return avx2::loops_table();
    return baseline::loops_table();
  }
  if (wanted == "baseline") return baseline::loops_table();
  if (wanted == "avx2" || wanted == "avx512") {
    if (wanted == "avx2" && has_avx2) return avx2::loops_table();
    if (wanted == "avx512" && has_avx512) return avx512::loops_table();
    throw BackendError("cpu backend: KERASCPP_CPU_LOOPS=" + wanted + " asks for " +
                       (wanted == "avx2" ? "x86-64-v3 (AVX2, FMA, BMI2)" : "x86-64-v4 (AVX-512 F/BW/DQ/VL)") +
                       " loops, which this CPU cannot run; unset it or use 'baseline'");
  }
  throw BackendError("cpu backend: unknown KERASCPP_CPU_LOOPS '" + wanted +
                     "': expected one of baseline, avx2, avx512 (or unset it to pick the best)");
#else
  if (!wanted.empty() && wanted != "baseline") {
    throw BackendError("cpu backend: KERASCPP_CPU_LOOPS=" + wanted +
                       ": this build has only the baseline loops (not an x86-64 build)");
  }
  return baseline::loops_table();
#endif
#endif
}

}  // namespace

const Loops& loops() {
  static const Loops& chosen = choose();
  return chosen;
}

}  // namespace keras::cpu
