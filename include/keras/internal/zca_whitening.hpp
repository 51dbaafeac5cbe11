#pragma once
// ZCA whitening for ImageDataGenerator: the principal-components matrix that fit() computes and
// standardize() applies. Its own file because the eigen-decomposition is Eigen's heaviest
// template code; nothing else needs to compile it.
#include <cstdint>
#include <vector>

namespace keras::internal {

// Keras: u, s = svd(flat_x.T); components = u diag(sqrt(n) / (s + epsilon)) u^T, for the
// (n, d) row-major features `flat` (already centered). Returns the (d, d) matrix, row-major.
std::vector<float> zca_principal_components(const std::vector<float>& flat, std::int64_t n, std::int64_t d,
                                            double epsilon);

// One flattened image (d values) times the (d, d) components, in place.
void zca_whiten(const std::vector<float>& components, std::int64_t d, float* image);

}  // namespace keras::internal
