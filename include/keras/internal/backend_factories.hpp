#pragma once
// Constructors of the backends compiled into the library; the registry calls these.
#include <functional>
#include <memory>
#include <string>

#include "keras/core/backend.hpp"

namespace keras::internal {

std::unique_ptr<Backend> make_reference_backend();
// Defined only when the library is built with the CPU backend (KERASCPP_WITH_CPU_BACKEND).
std::unique_ptr<Backend> make_cpu_backend();

// Defined only when the library is built with the CUDA backend (KERASCPP_WITH_CUDA_BACKEND);
// a BackendError when this machine has no such device.
std::unique_ptr<Backend> make_cuda_backend(int index);

// One line on the CUDA devices this process sees ("2 CUDA devices: NVIDIA H100, ..."), or why
// it sees none (built without CUDA, no driver, no device).
std::string cuda_device_report();
// How many CUDA devices this process can use (0 without CUDA, a driver or a device).
int cuda_device_count();

// Adds a backend the library does not build in (the tests' device-like backend). `make(index)`
// is called once per device index asked for; it throws BackendError for an index it lacks.
// Registered names are listed by available() after the built-in ones.
void register_backend(const std::string& name, std::function<std::unique_ptr<Backend>(int index)> make);

}  // namespace keras::internal
