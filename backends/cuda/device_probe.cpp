// Asks the CUDA runtime which devices exist, so that backend errors can say what this machine
// has. Compiled only with KERASCPP_WITH_CUDA; needs no GPU to build or to run.
#include <cuda_runtime_api.h>

#include <string>

#include "keras/internal/backend_factories.hpp"

namespace keras::internal {

std::string cuda_device_report() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    return std::string("no usable CUDA device: ") + cudaGetErrorString(status);
  }
  if (count == 0) return "no CUDA device found";
  std::string report = std::to_string(count) + (count == 1 ? " CUDA device: " : " CUDA devices: ");
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) {
      report += (i ? ", " : "") + std::string(prop.name);
    }
  }
  return report;
}

}  // namespace keras::internal
