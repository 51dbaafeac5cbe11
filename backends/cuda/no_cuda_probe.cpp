// Stands in for device_probe.cpp when the library is configured without CUDA.
#include "keras/internal/backend_factories.hpp"

namespace keras::internal {

std::string cuda_device_report() {
  return "kerascpp was configured with KERASCPP_WITH_CUDA=OFF or without a CUDA toolkit";
}

}  // namespace keras::internal

namespace keras::internal {
int cuda_device_count() { return 0; }
}  // namespace keras::internal
