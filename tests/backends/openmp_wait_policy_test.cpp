// The OpenMP wait policy kerascpp chooses when the user has not (backends/cpu/openmp_wait_policy.cpp):
// this program's link order lets libkerascpp_openmp_wait.so run before libgomp, and the variable it
// set is gone from the environment again. That libgomp itself took it is checked by the ctest
// entries openmp_wait_policy_reaches_libgomp and openmp_wait_policy_leaves_users_alone, which run
// this case with OMP_DISPLAY_ENV=VERBOSE and read libgomp's own report.
#ifdef KERASCPP_TEST_CPU_BACKEND
#include <doctest/doctest.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "backends/cpu/openmp_wait.hpp"

TEST_CASE("cpu backend: OpenMP waits passively unless the user chose otherwise") {
  const std::string policy = keras::cpu::openmp_wait_policy();
  std::cout << "OpenMP wait policy: " << policy << "\n";
  CAPTURE(policy);
  CHECK(policy.find("started before kerascpp") == std::string::npos);  // the link order worked
  if (policy.find("(the user's)") != std::string::npos) {
    CHECK((std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr));
  } else {
    CHECK(policy == "OMP_WAIT_POLICY=passive (kerascpp's default)");
    CHECK(std::getenv("OMP_WAIT_POLICY") == nullptr);  // child processes get the user's environment
  }
}
#endif
