// The CUDA backend's fused optimizer updates: one pass over each variable, each element
// through the host backends' own rule (element_rules.hpp), so every backend rounds alike.
#include "../common/element_rules.hpp"
#include "launch.cuh"

namespace keras::cuda_backend {

namespace rules = element_rules;

namespace {
__global__ void adam_kernel(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                            float b1, float b2, float epsilon) {
  KERASCPP_GRID_STRIDE(i, n) rules::adam_element(var[i], m[i], v[i], v_max ? v_max + i : nullptr, g[i], alpha, b1, b2, epsilon);
}
__global__ void sgd_kernel(float* var, float* m, const float* g, std::size_t n, float lr, float momentum, bool nesterov) {
  KERASCPP_GRID_STRIDE(i, n) rules::sgd_element(var[i], m ? m + i : nullptr, g[i], lr, momentum, nesterov);
}
__global__ void rmsprop_kernel(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                               std::size_t n, float lr, float rho, float momentum, float epsilon) {
  KERASCPP_GRID_STRIDE(i, n) {
    rules::rmsprop_element(var[i], velocity[i], momentum_slot ? momentum_slot + i : nullptr,
                           average ? average + i : nullptr, g[i], lr, rho, momentum, epsilon);
  }
}
__global__ void adagrad_kernel(float* var, float* accumulator, const float* g, std::size_t n, float lr, float epsilon) {
  KERASCPP_GRID_STRIDE(i, n) rules::adagrad_element(var[i], accumulator[i], g[i], lr, epsilon);
}
__global__ void nadam_kernel(float* var, float* m, float* v, const float* g, std::size_t n, float b1, float b2,
                             float m_scale, float g_scale, float v_divisor, float lr, float epsilon) {
  KERASCPP_GRID_STRIDE(i, n) rules::nadam_element(var[i], m[i], v[i], g[i], b1, b2, m_scale, g_scale, v_divisor, lr, epsilon);
}
}  // namespace

void CudaBackend::adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                              float one_minus_beta_1, float one_minus_beta_2, float epsilon) {
  launch(*this, "adam_update", n, adam_kernel, var, m, v, v_max, g, n, alpha, one_minus_beta_1, one_minus_beta_2, epsilon);
}
void CudaBackend::sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum,
                             bool nesterov) {
  launch(*this, "sgd_update", n, sgd_kernel, var, m, g, n, lr, momentum, nesterov);
}
void CudaBackend::rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                                 std::size_t n, float lr, float rho, float momentum, float epsilon) {
  launch(*this, "rmsprop_update", n, rmsprop_kernel, var, velocity, momentum_slot, average, g, n, lr, rho, momentum, epsilon);
}
void CudaBackend::adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr,
                                 float epsilon) {
  launch(*this, "adagrad_update", n, adagrad_kernel, var, accumulator, g, n, lr, epsilon);
}
void CudaBackend::nadam_update(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                               float one_minus_beta_2, float m_scale, float g_scale, float v_divisor, float lr,
                               float epsilon) {
  launch(*this, "nadam_update", n, nadam_kernel, var, m, v, g, n, one_minus_beta_1, one_minus_beta_2, m_scale, g_scale,
         v_divisor, lr, epsilon);
}

}  // namespace keras::cuda_backend
