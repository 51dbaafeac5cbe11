// cuBLAS is loaded when a cuda backend starts, not at program start (backends/cuda/
// cublas_library.hpp): the test binary does not need it, and loading it on request finds every
// entry point the backend calls. No GPU needed: dlopen and dlsym only.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#ifdef KERASCPP_TEST_CUDA_BACKEND
#include "backends/cuda/cublas_library.hpp"
#include "support/run_command.hpp"

TEST_CASE("cuBLAS is not a load-time dependency, and loads on request with every entry point") {
  const auto [status, dynamic] = test_support::run_command("readelf -d /proc/" + std::to_string(getpid()) + "/exe");
  REQUIRE_MESSAGE(status == 0, dynamic);
  CHECK_MESSAGE(dynamic.find("libcudnn") != std::string::npos, "readelf lists the other CUDA libraries:\n" << dynamic);
  CHECK_MESSAGE(dynamic.find("libcublas") == std::string::npos, dynamic);

  const keras::cuda_backend::CublasLibrary& lib = keras::cuda_backend::cublas_library();
  CHECK((lib.create != nullptr));
  CHECK((lib.destroy != nullptr));
  CHECK((lib.set_stream != nullptr));
  CHECK((lib.set_math_mode != nullptr));
  CHECK((lib.gemm_ex != nullptr));
  REQUIRE((lib.status_string != nullptr));
  CHECK(!std::string(lib.status_string(CUBLAS_STATUS_NOT_INITIALIZED)).empty());  // a real call into it
  std::ifstream maps("/proc/self/maps");
  std::stringstream mapped;
  mapped << maps.rdbuf();
  CHECK(mapped.str().find("libcublas.so") != std::string::npos);
  CHECK(&keras::cuda_backend::cublas_library() == &lib);  // loaded once
}
#endif
