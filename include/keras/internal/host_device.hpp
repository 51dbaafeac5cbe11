#pragma once
// KERASCPP_HOST_DEVICE marks a function that the CUDA backend's kernels call as well as the host
// backends, so that one definition of each per-element rule serves every backend. Under a
// plain C++ compiler it is empty.
#ifdef __CUDACC__
#define KERASCPP_HOST_DEVICE __host__ __device__
#else
#define KERASCPP_HOST_DEVICE
#endif
