#include "keras/core/tensor_float_32.hpp"

#include <atomic>

namespace keras::config {

namespace {
std::atomic<bool> g_tensor_float_32{true};
}  // namespace

void enable_tensor_float_32_execution(bool enabled) { g_tensor_float_32.store(enabled, std::memory_order_relaxed); }
bool tensor_float_32_execution_enabled() { return g_tensor_float_32.load(std::memory_order_relaxed); }

}  // namespace keras::config
