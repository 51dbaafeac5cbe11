#include "keras/internal/zca_whitening.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>

namespace keras::internal {

namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace

// The left singular vectors and singular values of flat^T come from the symmetric
// eigen-decomposition of the smaller Gram matrix (flat^T flat when d <= n, else flat flat^T,
// whose eigenvectors v give u = flat^T v / s), in double: Eigen's SVD costs minutes of compile
// time under the sanitizers, this a fraction, and double Gram products resolve singular values
// down to ~1e-7 of the largest, as Keras' float32 SVD does. Components whose singular value is
// numerically zero (rank-deficient data, e.g. centered data with n <= d) are left out: their
// directions are whatever the SVD routine happens to return, so Keras' result along them is
// arbitrary too (docs/decisions.md, "ZCA whitening").
std::vector<float> zca_principal_components(const std::vector<float>& flat, std::int64_t n, std::int64_t d,
                                            double epsilon) {
  const Eigen::MatrixXd x = Eigen::Map<const RowMajorF>(flat.data(), n, d).cast<double>();
  const bool features_side = d <= n;
  const Eigen::MatrixXd gram = features_side ? Eigen::MatrixXd(x.transpose() * x) : Eigen::MatrixXd(x * x.transpose());
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(gram);
  const Eigen::VectorXd& lambda = eigen.eigenvalues();  // ascending
  const double largest = std::max(lambda.maxCoeff(), 0.0);
  const double zero_below = largest * static_cast<double>(gram.rows()) * std::numeric_limits<double>::epsilon() * 8;

  Eigen::Index kept = 0;
  for (Eigen::Index j = 0; j < lambda.size(); ++j) kept += lambda(j) > zero_below ? 1 : 0;  // the largest ones
  const Eigen::VectorXd s = lambda.tail(kept).cwiseSqrt();
  const Eigen::MatrixXd u = features_side
                                ? Eigen::MatrixXd(eigen.eigenvectors().rightCols(kept))
                                : Eigen::MatrixXd(x.transpose() * eigen.eigenvectors().rightCols(kept) *
                                                  s.cwiseInverse().asDiagonal());
  const Eigen::VectorXd scale = (std::sqrt(static_cast<double>(n)) / (s.array() + epsilon)).matrix();
  const Eigen::MatrixXd weighted = u * scale.asDiagonal() * u.transpose();
  std::vector<float> components(static_cast<std::size_t>(d * d));
  Eigen::Map<RowMajorF>(components.data(), d, d) = weighted.cast<float>();
  return components;
}

void zca_whiten(const std::vector<float>& components, std::int64_t d, float* image) {
  const Eigen::Map<const RowMajorF> pcs(components.data(), d, d);
  Eigen::Map<Eigen::RowVectorXf> row(image, d);
  row = (row * pcs).eval();
}

}  // namespace keras::internal
