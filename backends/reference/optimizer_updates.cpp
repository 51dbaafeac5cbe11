// Reference kernels: fused optimizer updates. Each line is one float32 operation of Keras'
// update formula, in Keras' order, so the result equals the composed tensor operations.
#include <algorithm>
#include <cmath>

#include "reference_backend.hpp"

namespace keras::reference {

void ReferenceBackend::adam_update(float* var, float* m, float* v, float* v_max, const float* g,
                                   std::size_t n, float alpha, float one_minus_beta_1,
                                   float one_minus_beta_2, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = m[i] + (g[i] - m[i]) * one_minus_beta_1;
    v[i] = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2;
    float denominator_source = v[i];
    if (v_max) denominator_source = v_max[i] = std::max(v_max[i], v[i]);
    var[i] = var[i] - m[i] * alpha / (std::sqrt(denominator_source) + epsilon);
  }
}

void ReferenceBackend::sgd_update(float* var, float* m, const float* g, std::size_t n, float lr,
                                  float momentum, bool nesterov) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!m) {
      var[i] = var[i] - g[i] * lr;
      continue;
    }
    m[i] = m[i] * momentum - g[i] * lr;
    var[i] = nesterov ? var[i] + m[i] * momentum - g[i] * lr : var[i] + m[i];
  }
}

void ReferenceBackend::rmsprop_update(float* var, float* velocity, float* momentum_slot,
                                      float* average, const float* g, std::size_t n, float lr,
                                      float rho, float momentum, float epsilon) {
  const float one_minus_rho = 1.0f - rho;
  for (std::size_t i = 0; i < n; ++i) {
    velocity[i] = velocity[i] * rho + g[i] * g[i] * one_minus_rho;
    float denominator = velocity[i] + epsilon;
    if (average) {
      average[i] = average[i] * rho + g[i] * one_minus_rho;
      denominator = velocity[i] - average[i] * average[i] + epsilon;
    }
    const float increment = g[i] * lr / std::sqrt(denominator);
    if (momentum_slot) {
      momentum_slot[i] = momentum_slot[i] * momentum + increment;
      var[i] = var[i] - momentum_slot[i];
    } else {
      var[i] = var[i] - increment;
    }
  }
}

void ReferenceBackend::adagrad_update(float* var, float* accumulator, const float* g,
                                      std::size_t n, float lr, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) {
    accumulator[i] = accumulator[i] + g[i] * g[i];
    var[i] = var[i] - g[i] * lr / std::sqrt(accumulator[i] + epsilon);
  }
}

void ReferenceBackend::nadam_update(float* var, float* m, float* v, const float* g,
                                    std::size_t n, float one_minus_beta_1,
                                    float one_minus_beta_2, float m_scale, float g_scale,
                                    float v_divisor, float lr, float epsilon) {
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = m[i] + (g[i] - m[i]) * one_minus_beta_1;
    v[i] = v[i] + (g[i] * g[i] - v[i]) * one_minus_beta_2;
    const float m_hat = m[i] * m_scale + g[i] * g_scale;
    var[i] = var[i] - m_hat * lr / (std::sqrt(v[i] / v_divisor) + epsilon);
  }
}

}  // namespace keras::reference
