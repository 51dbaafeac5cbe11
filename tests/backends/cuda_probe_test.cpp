#include <doctest/doctest.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "keras/internal/backend_factories.hpp"

// The CUDA backend's kernels are not written yet; what exists is the device probe. It must
// answer on machines with and without a GPU, and say plainly which it is.
TEST_CASE("the CUDA device probe answers without a GPU") {
  const std::string report = keras::internal::cuda_device_report();
  CHECK_FALSE(report.empty());
  // A report with devices starts with their count ("1 CUDA device: NVIDIA H100 ...").
  if (!std::isdigit(static_cast<unsigned char>(report.front()))) {
    MESSAGE("SKIPPED GPU checks: " << report);
    // Without the NVIDIA driver it says so, not "CUDA driver version is insufficient".
    if (!std::filesystem::exists("/proc/driver/nvidia/version")) {
      CHECK(report.find("no NVIDIA GPU driver is loaded") != std::string::npos);
    }
  } else {
    MESSAGE("GPU present: " << report);
  }
}
