#pragma once
// How the CUDA backend's own kernels are launched: grid-stride loops over n elements, on the
// backend's stream, launch errors turned into BackendErrors naming the kernel.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "cuda_backend.hpp"

namespace keras::cuda_backend {

constexpr int kThreads = 256;

// Each thread of a grid-stride loop visits i, i + stride, ... below n.
#define KERASCPP_GRID_STRIDE(i, n)                                                          \
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)

inline unsigned blocks_for(std::size_t n) {
  return static_cast<unsigned>(std::min<std::size_t>((n + kThreads - 1) / kThreads, 1u << 16));
}

template <class Kernel, class... Args>
void launch(const CudaBackend& be, const char* name, std::size_t n, Kernel kernel, Args... args) {
  if (n == 0) return;
  be.activate();
  be.note_kernel(name);
  kernel<<<blocks_for(n), kThreads, 0, be.stream()>>>(args...);
  be.check_launch(name);
}

}  // namespace keras::cuda_backend
