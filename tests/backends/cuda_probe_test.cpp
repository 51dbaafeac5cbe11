#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "keras/keras.hpp"
#include "keras/internal/backend_factories.hpp"

// The device probe must answer on machines with and without a GPU, and say plainly which it is.
TEST_CASE("the CUDA device probe answers without a GPU") {
  const std::string report = keras::internal::cuda_device_report();
  CHECK_FALSE(report.empty());
  // A report with devices starts with their count ("1 CUDA device: NVIDIA H100 ...").
  if (!std::isdigit(static_cast<unsigned char>(report.front()))) {
    MESSAGE("SKIPPED GPU checks: " << report);
    CHECK(keras::internal::cuda_device_count() == 0);
#ifdef KERASCPP_TEST_CUDA_BACKEND
    // Without the NVIDIA driver it says so, not "CUDA driver version is insufficient".
    if (!std::filesystem::exists("/proc/driver/nvidia/version")) {
      CHECK(report.find("no NVIDIA GPU driver is loaded") != std::string::npos);
    }
#else
    CHECK(report.find("KERASCPP_WITH_CUDA=OFF") != std::string::npos);
#endif
  } else {
    MESSAGE("GPU present: " << report);
    CHECK(keras::internal::cuda_device_count() > 0);
  }
}

TEST_CASE("selecting the cuda backend without a GPU is a BackendError that says why, never a crash") {
  const auto names = keras::backend::available();
  const bool listed = std::find(names.begin(), names.end(), "cuda") != names.end();
  if (keras::internal::cuda_device_count() > 0) {
    MESSAGE("GPU present: " << keras::internal::cuda_device_report());
    CHECK(listed);
    CHECK(keras::backend::get("cuda").device().kind == keras::DeviceKind::cuda);
    CHECK_THROWS_AS(keras::backend::get("cuda:99"), keras::BackendError);
    return;
  }
  CHECK_FALSE(listed);  // the default backend is then cpu (or reference)
  try {
    keras::backend::get("cuda");
    FAIL("expected a BackendError");
  } catch (const keras::BackendError& e) {
    const std::string what = e.what();
    MESSAGE("as expected: " << what);
    CHECK(what.find("'cuda'") != std::string::npos);
    CHECK(what.find("not available") != std::string::npos);
  }
  CHECK_THROWS_AS(keras::backend::set("cuda:1"), keras::BackendError);
}
