#pragma once
// What this process's idle OpenMP threads do while they wait: the choice that
// libkerascpp_openmp_wait.so (openmp_wait_policy.cpp) made before libgomp started.
#include <string>

namespace keras::cpu {

// "OMP_WAIT_POLICY=passive (kerascpp's default)", "OMP_WAIT_POLICY=passive (the user's)", ...: for
// benchmarks and notes.
std::string openmp_wait_policy();

// When libgomp started before kerascpp could choose (a program's link order), says so once on
// stderr, with the setting to use when cores are shared.
void note_openmp_wait_policy_once();

}  // namespace keras::cpu
