#pragma once
// Differentiable shape manipulation: reshape, concatenate, padding, cropping, resizing.
#include <cstdint>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::ops {

Tensor reshape(const Tensor& x, const Shape& shape);
// keras.ops.cast: x in another dtype. Between floating types the gradient flows back, cast to
// x's dtype (mixed precision casts inputs and variables to the compute dtype with it).
Tensor cast(const Tensor& x, DType dtype);
// (n, ...) -> (n, prod(...))
Tensor flatten(const Tensor& x);
Tensor concatenate(const std::vector<Tensor>& xs, int axis = -1);
// keras.ops.transpose: y's axis i is x's axis axes[i] (axes a permutation of 0..rank-1), any dtype;
// the gradient is the inverse permutation.
Tensor transpose(const Tensor& x, const std::vector<int>& axes);
// NHWC spatial zero padding and cropping.
Tensor zero_pad2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left,
                  std::int64_t right);
Tensor crop2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left,
              std::int64_t right);
// interpolation: "bilinear" | "nearest"
Tensor resize(const Tensor& x, std::int64_t height, std::int64_t width,
              const std::string& interpolation = "bilinear");
// Rows `rows` of the first axis, in that order, for any dtype (batches of shuffled data).
// Not differentiable: it serves the data pipeline.
Tensor take_rows(const Tensor& x, const std::vector<std::int64_t>& rows);

// Integer labels (int32 or uint8, any shape) -> float32 one-hot with a trailing axis of
// `depth`. A label outside [0, depth) raises a ValueError naming it.
Tensor one_hot(const Tensor& labels, std::int64_t depth);

}  // namespace keras::ops
