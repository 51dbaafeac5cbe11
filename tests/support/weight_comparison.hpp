#pragma once
// Comparing two models' weights: all of a model's weights as one host vector, and the largest
// difference between two such vectors relative to the largest value of the second.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "keras/keras.hpp"

namespace test_support {

inline std::vector<float> flat_weights(keras::Model& model) {
  std::vector<float> all;
  for (const keras::Tensor& w : model.get_weights()) {
    const auto v = w.to_vector<float>();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

inline double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0.0, scale = 1e-30;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

}  // namespace test_support
