#pragma once
// The backend that the kernel parity tests (cpu_parity_test.cpp, cpu_nonfinite_parity_test.cpp)
// hold against the reference. Compiled as they are, it is the cpu backend; cuda_parity_test.cpp
// and emulated_device_parity_test.cpp define KERASCPP_PARITY_DEVICE ("cuda", "emulated_device")
// and include them again, so every case runs on that device through a host view
// (support/host_view_backend.hpp), or skips with a visible message where the device is absent.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"
#include "support/host_view_backend.hpp"

#ifdef KERASCPP_PARITY_DEVICE
#define KERASCPP_PARITY_SUBJECT KERASCPP_PARITY_DEVICE " backend"
#define KERASCPP_PARITY_PRIMARY 0
#else
#define KERASCPP_PARITY_SUBJECT "cpu backend"
#define KERASCPP_PARITY_PRIMARY 1  // the cpu file itself: also its cpu-only cases
#ifdef KERASCPP_TEST_CPU_BACKEND
#define KERASCPP_PARITY_BUILT 1
#else
#define KERASCPP_PARITY_BUILT 0
#endif
#endif

namespace {

#ifdef KERASCPP_PARITY_DEVICE
// Null, with the reason in `why`, when the device cannot be used on this machine.
keras::Backend* parity_subject_or_null(std::string& why) {
  static std::string reason;
  static std::unique_ptr<keras::Backend> view = [] {
    try {
      return keras::testing::make_host_view(keras::backend::get(KERASCPP_PARITY_DEVICE));
    } catch (const keras::BackendError& e) {
      reason = e.what();
      return std::unique_ptr<keras::Backend>();
    }
  }();
  why = reason;
  return view.get();
}
#else
keras::Backend* parity_subject_or_null(std::string&) { return &keras::backend::get("cpu"); }
#endif

[[maybe_unused]] keras::Backend& subject() {
  std::string why;
  return *parity_subject_or_null(why);
}

}  // namespace

// At the top of every parity case: skips it, saying why, when the backend under test is absent.
#define PARITY_SUBJECT_OR_SKIP()                                          \
  do {                                                                    \
    std::string why_absent;                                               \
    if (!parity_subject_or_null(why_absent)) {                            \
      MESSAGE("SKIPPED " KERASCPP_PARITY_SUBJECT " parity: " << why_absent); \
      return;                                                             \
    }                                                                     \
  } while (false)
