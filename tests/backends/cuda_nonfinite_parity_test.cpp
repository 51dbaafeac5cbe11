// The cases of cpu_nonfinite_parity_test.cpp on the cuda backend, through a host view
// (parity_subject.hpp). Built wherever the CUDA backend is; each case skips, saying why,
// on a machine without a GPU.
#define KERASCPP_PARITY_DEVICE "cuda"
#ifdef KERASCPP_TEST_CUDA_BACKEND
#define KERASCPP_PARITY_BUILT 1
#else
#define KERASCPP_PARITY_BUILT 0
#endif
#include "cpu_nonfinite_parity_test.cpp"
