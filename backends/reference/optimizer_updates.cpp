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

}  // namespace keras::reference
