// Reference kernels: batch normalization over a (rows, channels) view, statistics in double.
#include <cmath>
#include <vector>

#include "reference_backend.hpp"

namespace keras::reference {

namespace {
float gamma_at(const float* gamma, std::int64_t c) { return gamma ? gamma[c] : 1.0f; }
float beta_at(const float* beta, std::int64_t c) { return beta ? beta[c] : 0.0f; }
}  // namespace

void ReferenceBackend::batch_norm_training(const float* x, const float* gamma, const float* beta,
                                           std::int64_t rows, std::int64_t channels,
                                           float epsilon, float* y, float* mean,
                                           float* variance) {
  std::vector<double> sum(channels, 0.0), sq(channels, 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < channels; ++c) sum[c] += x[r * channels + c];
  }
  for (std::int64_t c = 0; c < channels; ++c) mean[c] = static_cast<float>(sum[c] / rows);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const double d = x[r * channels + c] - static_cast<double>(mean[c]);
      sq[c] += d * d;
    }
  }
  for (std::int64_t c = 0; c < channels; ++c) variance[c] = static_cast<float>(sq[c] / rows);
  batch_norm_inference(x, gamma, beta, mean, variance, rows, channels, epsilon, y);
}

void ReferenceBackend::batch_norm_inference(const float* x, const float* gamma,
                                            const float* beta, const float* mean,
                                            const float* variance, std::int64_t rows,
                                            std::int64_t channels, float epsilon, float* y) {
  for (std::int64_t c = 0; c < channels; ++c) {
    const float inv_std = 1.0f / std::sqrt(variance[c] + epsilon);
    const float scale = gamma_at(gamma, c) * inv_std;
    const float shift = beta_at(beta, c) - mean[c] * scale;
    for (std::int64_t r = 0; r < rows; ++r) y[r * channels + c] = x[r * channels + c] * scale + shift;
  }
}

void ReferenceBackend::batch_norm_backward(const float* dy, const float* x, const float* gamma,
                                           const float* mean, const float* variance,
                                           std::int64_t rows, std::int64_t channels,
                                           float epsilon, float* dx, float* dgamma,
                                           float* dbeta) {
  // With x^ = (x - mean) * inv_std:  dbeta = sum dy,  dgamma = sum dy x^,
  // dx = gamma inv_std / rows * (rows dy - dbeta - x^ dgamma).
  for (std::int64_t c = 0; c < channels; ++c) {
    const double inv_std = 1.0 / std::sqrt(static_cast<double>(variance[c]) + epsilon);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const double xhat = (x[r * channels + c] - static_cast<double>(mean[c])) * inv_std;
      sum_dy += dy[r * channels + c];
      sum_dy_xhat += dy[r * channels + c] * xhat;
    }
    if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
    if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xhat);
    const double k = gamma_at(gamma, c) * inv_std / static_cast<double>(rows);
    for (std::int64_t r = 0; r < rows; ++r) {
      const double xhat = (x[r * channels + c] - static_cast<double>(mean[c])) * inv_std;
      dx[r * channels + c] =
          static_cast<float>(k * (rows * static_cast<double>(dy[r * channels + c]) - sum_dy -
                                  xhat * sum_dy_xhat));
    }
  }
}

}  // namespace keras::reference
