// Asks the CUDA runtime which devices exist, so that backend errors can say what this machine
// has. Compiled only with KERASCPP_WITH_CUDA; needs no GPU to build or to run.
#include <cuda_runtime_api.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "keras/internal/backend_factories.hpp"

namespace keras::internal {

std::string cuda_device_report() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    // Without the NVIDIA kernel driver the runtime reports an "insufficient driver", which reads
    // as if updating one would help; say what is really missing.
    std::error_code absent;
    if (!std::filesystem::exists("/proc/driver/nvidia/version", absent)) {
      return "no NVIDIA GPU driver is loaded on this machine (no /proc/driver/nvidia/version), so it has no "
             "CUDA device to run on";
    }
    return std::string("no usable CUDA device: ") + cudaGetErrorString(status) +
           (status == cudaErrorInsufficientDriver ? " (update the NVIDIA driver to one that supports CUDA " +
                                                        std::to_string(CUDART_VERSION / 1000) + ")"
                                                  : std::string());
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

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

}  // namespace keras::internal
