#pragma once
// A host-memory face for a device backend, for the kernel parity tests: each kernel call copies
// its host buffers to the device (outputs too, so in-place updates and "garbage in, must be
// overwritten" work), runs the device's kernel, and copies the results back. The parity tests
// written for the cpu backend, which pass host buffers, thus hold any device backend to the
// reference, kernel by kernel. Proven on the emulated device in CI and run on cuda with a GPU.
#include <memory>

#include "keras/core/backend.hpp"

namespace keras::testing {

std::unique_ptr<Backend> make_host_view(Backend& device);

}  // namespace keras::testing
