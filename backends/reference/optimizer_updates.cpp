// Reference kernels: fused optimizer updates, one plain loop per rule of element_rules.hpp
// (Keras' float32 operations in Keras' order, shared with the cpu backend).
#include "../common/element_rules.hpp"
#include "reference_backend.hpp"

namespace keras::reference {

using namespace element_rules;

void ReferenceBackend::adam_update(float* var, float* m, float* v, float* v_max, const float* g,
                                   std::size_t n, float alpha, float one_minus_beta_1,
                                   float one_minus_beta_2, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) {
    adam_element(var[i], m[i], v[i], v_max ? v_max + i : nullptr, g[i], alpha, one_minus_beta_1,
                 one_minus_beta_2, epsilon);
  }
}

void ReferenceBackend::sgd_update(float* var, float* m, const float* g, std::size_t n, float lr,
                                  float momentum, bool nesterov) {
  for (std::size_t i = 0; i < n; ++i) sgd_element(var[i], m ? m + i : nullptr, g[i], lr, momentum, nesterov);
}

void ReferenceBackend::rmsprop_update(float* var, float* velocity, float* momentum_slot,
                                      float* average, const float* g, std::size_t n, float lr,
                                      float rho, float momentum, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) {
    rmsprop_element(var[i], velocity[i], momentum_slot ? momentum_slot + i : nullptr,
                    average ? average + i : nullptr, g[i], lr, rho, momentum, epsilon);
  }
}

void ReferenceBackend::adagrad_update(float* var, float* accumulator, const float* g,
                                      std::size_t n, float lr, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) adagrad_element(var[i], accumulator[i], g[i], lr, epsilon);
}

void ReferenceBackend::nadam_update(float* var, float* m, float* v, const float* g,
                                    std::size_t n, float one_minus_beta_1,
                                    float one_minus_beta_2, float m_scale, float g_scale,
                                    float v_divisor, float lr, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) {
    nadam_element(var[i], m[i], v[i], g[i], one_minus_beta_1, one_minus_beta_2, m_scale, g_scale,
                  v_divisor, lr, epsilon);
  }
}

}  // namespace keras::reference
