// The cases of cpu_nonfinite_parity_test.cpp on the emulated_device backend, through a host view
// (parity_subject.hpp). The emulated device runs the reference's kernels, so
// this proves the host view itself (every buffer size, every read-back) on any machine.
#define KERASCPP_PARITY_DEVICE "emulated_device"
#define KERASCPP_PARITY_BUILT 1
#include "cpu_nonfinite_parity_test.cpp"
