// The cases of cpu_nonfinite_parity_test.cpp on the cuda backend, through a host view
// (parity_subject.hpp). Built wherever the CUDA backend is; each case skips, saying why,
// on a machine without a GPU.
#ifdef KERASCPP_TEST_CUDA_BACKEND
#define KERASCPP_PARITY_DEVICE "cuda"
#define KERASCPP_PARITY_BUILT 1
#include "cpu_nonfinite_parity_test.cpp"
#else
#include <doctest/doctest.h>

TEST_CASE("cuda backend non-finite parity: not built") {
  MESSAGE("SKIPPED cuda backend non-finite parity: this build has no CUDA backend (it needs the CUDA toolkit and cuDNN 9)");
}
#endif
