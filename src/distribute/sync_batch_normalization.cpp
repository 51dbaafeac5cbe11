// Synchronized batch normalization. The statistics are computed on the host in double, as the
// reference backend computes them, from sums all-reduced over the replicas.
//
// The backward pass: with the global loss L = sum_r w_r L_r (w_r = replica r's share of the
// global batch), replica r's backward carries delta = dL_r/dy and the strategy weights its
// gradients by w_r afterwards. So the input gradient it returns is dL/dx_r / w_r:
//   dx = gamma inv_std / ROWS * (ROWS delta - A1 - xhat A2),  A_k = sum_r' rows_r' S_k,r' / rows_r,
// S_1 = sum delta, S_2 = sum delta xhat over the replica's rows, ROWS the global row count;
// and gamma's and beta's gradients are the replica's own S_2 and S_1.
#include "keras/distribute/sync_batch_normalization.hpp"

#include <cmath>
#include <vector>

#include "keras/core/autograd.hpp"
#include "keras/core/errors.hpp"

namespace keras::distribute {

ops::BatchNormResult synchronized_batch_normalization_training(const Tensor& x_in, const Tensor& gamma,
                                                               const Tensor& beta, float epsilon, Strategy& strategy) {
  if (x_in.dtype() != float32) {  // 16-bit activations: float32 inside, as the plain layer does
    ops::BatchNormResult r = synchronized_batch_normalization_training(x_in.astype(float32), gamma, beta, epsilon, strategy);
    r.y = r.y.astype(x_in.dtype());
    return r;
  }
  const Tensor& x = x_in;
  if (x.rank() == 0 || x.dim(-1) == 0) throw ShapeError("synchronized batch_normalization: empty input " + to_string(x.shape()));
  const std::int64_t channels = x.dim(-1), rows = x.size() / channels;
  const std::vector<float> xv = x.to_vector<float>();
  std::vector<double> sums(static_cast<std::size_t>(channels) + 1, 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < channels; ++c) sums[c] += xv[r * channels + c];
  }
  sums[channels] = static_cast<double>(rows);
  strategy.all_reduce_sum(sums.data(), sums.size());
  const double total_rows = sums[channels];
  std::vector<float> mean(static_cast<std::size_t>(channels)), variance(static_cast<std::size_t>(channels));
  for (std::int64_t c = 0; c < channels; ++c) mean[c] = static_cast<float>(sums[c] / total_rows);
  std::vector<double> squares(static_cast<std::size_t>(channels), 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < channels; ++c) {
      const double d = xv[r * channels + c] - static_cast<double>(mean[c]);
      squares[c] += d * d;
    }
  }
  strategy.all_reduce_sum(squares.data(), squares.size());
  for (std::int64_t c = 0; c < channels; ++c) variance[c] = static_cast<float>(squares[c] / total_rows);
  const Tensor mean_t = Tensor::from_vector(mean, {channels}), variance_t = Tensor::from_vector(variance, {channels});
  Tensor y;
  {
    NoGradGuard no_grad;  // its gradient is the one recorded below, not the inference form's
    y = ops::batch_normalization_inference(x, gamma, beta, mean_t, variance_t, epsilon);
  }
  keras::internal::record(y, "synchronized_batch_normalization", {x, gamma, beta},
         [x, gamma, has_beta = beta.defined(), mean, variance, epsilon, rows, channels, total_rows,
          &strategy](const Tensor& dy) {
           const std::vector<float> xv = x.to_vector<float>(), dyv = dy.to_vector<float>();
           const std::vector<float> g = gamma.defined() ? gamma.to_vector<float>() : std::vector<float>(channels, 1.0f);
           std::vector<double> inv_std(static_cast<std::size_t>(channels));
           for (std::int64_t c = 0; c < channels; ++c) inv_std[c] = 1.0 / std::sqrt(static_cast<double>(variance[c]) + epsilon);
           std::vector<double> local(2 * static_cast<std::size_t>(channels), 0.0);  // S_1, then S_2
           for (std::int64_t r = 0; r < rows; ++r) {
             for (std::int64_t c = 0; c < channels; ++c) {
               const double xhat = (xv[r * channels + c] - static_cast<double>(mean[c])) * inv_std[c];
               local[c] += dyv[r * channels + c];
               local[channels + c] += dyv[r * channels + c] * xhat;
             }
           }
           std::vector<double> weighted(local.size());
           for (std::size_t i = 0; i < local.size(); ++i) weighted[i] = local[i] * static_cast<double>(rows);
           strategy.all_reduce_sum(weighted.data(), weighted.size());
           std::vector<float> dx(xv.size()), dgamma(static_cast<std::size_t>(channels)), dbeta(static_cast<std::size_t>(channels));
           for (std::int64_t c = 0; c < channels; ++c) {
             dbeta[c] = static_cast<float>(local[c]);
             dgamma[c] = static_cast<float>(local[channels + c]);
           }
           for (std::int64_t r = 0; r < rows; ++r) {
             for (std::int64_t c = 0; c < channels; ++c) {
               const double a1 = weighted[c] / static_cast<double>(rows), a2 = weighted[channels + c] / static_cast<double>(rows);
               const double xhat = (xv[r * channels + c] - static_cast<double>(mean[c])) * inv_std[c];
               const double k = g[c] * inv_std[c] / total_rows;
               dx[r * channels + c] = static_cast<float>(k * (total_rows * dyv[r * channels + c] - a1 - xhat * a2));
             }
           }
           return std::vector<Tensor>{Tensor::from_vector(dx, x.shape()),
                                      gamma.defined() ? Tensor::from_vector(dgamma, {channels}) : Tensor(),
                                      has_beta ? Tensor::from_vector(dbeta, {channels}) : Tensor()};
         });
  return {y, mean_t, variance_t};
}

}  // namespace keras::distribute
