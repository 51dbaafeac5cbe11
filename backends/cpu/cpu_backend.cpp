// The CPU backend's construction, and the factory the backend registry calls.
#include "cpu_backend.hpp"

#include "dnnl_primitives.hpp"
#include "keras/internal/backend_factories.hpp"
#include "openmp_wait.hpp"

namespace keras {
namespace cpu {
CpuBackend::CpuBackend() : loops_(loops()), primitives_(std::make_unique<Primitives>()) { note_openmp_wait_policy_once(); }
CpuBackend::~CpuBackend() = default;
}  // namespace cpu

namespace internal {
std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<cpu::CpuBackend>(); }
}  // namespace internal
}  // namespace keras
