#pragma once
// Padding or cropping amounts as Keras takes them: n, (rows, cols) symmetric, or
// ((top, bottom), (left, right)).
#include <cstdint>
#include <utility>

namespace keras::layers {

struct Padding2D {
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;
  Padding2D(std::int64_t all) : top(all), bottom(all), left(all), right(all) {}  // NOLINT
  Padding2D(std::int64_t rows, std::int64_t cols)
      : top(rows), bottom(rows), left(cols), right(cols) {}
  Padding2D(std::pair<std::int64_t, std::int64_t> rows, std::pair<std::int64_t, std::int64_t> cols)
      : top(rows.first), bottom(rows.second), left(cols.first), right(cols.second) {}
};

}  // namespace keras::layers
