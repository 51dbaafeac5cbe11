#pragma once
// Differentiable arithmetic, reductions and matrix products.
#include <vector>

#include "keras/core/backend.hpp"
#include "keras/core/tensor.hpp"

namespace keras::ops {

// Element-wise with NumPy broadcasting.
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// 1 where a > b (a == b), else 0, as float32 (NaN compares false); no gradient flows through.
Tensor greater(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, const Tensor& b);
// y = scale * x + shift
Tensor affine(const Tensor& x, float scale, float shift);

Tensor negative(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor reciprocal(const Tensor& x);
// Gradient passes where low <= x <= high, as tf.clip_by_value.
Tensor clip(const Tensor& x, float low, float high);

// Reductions; empty `axes` means all axes.
Tensor sum(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, std::vector<int> axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, int axis, bool keepdims = false);
// The largest element of the whole tensor, a scalar (keras.ops.max(x) with axis=None).
Tensor max(const Tensor& x);
// The index of the largest value along `axis` (the first one on ties; a NaN wins), int32.
Tensor argmax(const Tensor& x, int axis = -1);

// (m, k) @ (k, n) -> (m, n). Two bfloat16 (float16) operands give a bfloat16 (float16) product
// accumulated in float32, forward and backward alike (the mixed policies' Dense layers);
// operands of two types multiply in float32.
Tensor matmul(const Tensor& a, const Tensor& b);

// Sums a broadcast gradient back to the shape of the operand it was broadcast from.
Tensor sum_to_shape(const Tensor& x, const Shape& shape);

}  // namespace keras::ops
