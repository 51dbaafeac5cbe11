#pragma once
// Constructors of the backends compiled into the library; the registry calls these.
#include <memory>
#include <string>

#include "keras/core/backend.hpp"

namespace keras::internal {

std::unique_ptr<Backend> make_reference_backend();
// Defined only when the library is built with the CPU backend (KERASCPP_WITH_CPU_BACKEND).
std::unique_ptr<Backend> make_cpu_backend();

// One line on the CUDA devices this process sees ("2 CUDA devices: NVIDIA H100, ..."), or why
// it sees none (built without CUDA, no driver, no device).
std::string cuda_device_report();

}  // namespace keras::internal
