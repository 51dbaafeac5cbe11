#pragma once
// The CPU backend's one thread pool: OpenMP's, which oneDNN (built with the OpenMP runtime)
// shares, sized by keras::backend::num_threads().
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "../common/isa_namespace.hpp"
#include "keras/core/backend.hpp"

namespace keras::cpu {
inline namespace KERASCPP_LOOPS_ISA {  // see isa_namespace.hpp

// Makes this thread's next parallel regions (ours and oneDNN's) use the configured count.
inline void apply_thread_setting() {
  thread_local int applied = 0;
  const int wanted = backend::num_threads();
  if (wanted != applied) {
    omp_set_num_threads(wanted);
    applied = wanted;
  }
}

// Runs f(begin, end) over [0, n) in contiguous chunks, one per thread; ranges shorter than
// two chunks of `min_chunk` run on the calling thread (a parallel region costs microseconds).
// The threads parallel_for uses for n elements in chunks of at least min_chunk (at least 1).
inline int parallel_threads(std::int64_t n, std::int64_t min_chunk) {
  const std::int64_t chunks = n / std::max<std::int64_t>(min_chunk, 1);
  return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(backend::num_threads(), chunks)));
}

template <class F>
void parallel_for(std::int64_t n, std::int64_t min_chunk, F&& f) {
  if (n <= 0) return;
  const int threads = parallel_threads(n, min_chunk);
  if (threads <= 1) {
    f(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (begin < end) f(begin, end);
  }
}

// Element counts per chunk: memory-bound loops need this much work to pay for a thread.
constexpr std::int64_t kElementwiseChunk = 1 << 15;

}  // inline namespace KERASCPP_LOOPS_ISA
}  // namespace keras::cpu
