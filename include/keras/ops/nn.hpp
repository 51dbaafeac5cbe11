#pragma once
// Differentiable neural-network ops over NHWC tensors.
#include <cstdint>
#include <optional>
#include <string>

#include "keras/core/backend.hpp"
#include "keras/core/tensor.hpp"

namespace keras::ops {

// x (..., c) + bias (c)
Tensor bias_add(const Tensor& x, const Tensor& bias);

struct Conv2DOptions {
  std::int64_t stride_h = 1, stride_w = 1;
  std::string padding = "valid";  // "valid" | "same"
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t groups = 1;  // depthwise convolution: groups = input channels
};
// x (n, h, w, c), kernel (kh, kw, c / groups, out) -> (n, oh, ow, out). Operands of one 16-bit
// type (the mixed policies) convolve natively into that type, accumulating in float32;
// operands of several types convolve in float32.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Conv2DOptions& options = {});
// conv2d + bias + activation in one kernel launch; activation "linear" or "relu" fuse, any
// other Keras activation is applied after.
Tensor conv2d_bias_activation(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                              const std::string& activation,
                              const Conv2DOptions& options = {});
// Output size of a convolution or pooling window along one axis, as TensorFlow computes it.
std::int64_t conv_output_length(std::int64_t input, std::int64_t window, std::int64_t stride,
                                std::int64_t dilation, const std::string& padding);
// Padding before the first element for "same" (TensorFlow puts the odd pixel at the end).
std::int64_t same_padding_before(std::int64_t input, std::int64_t output, std::int64_t window,
                                 std::int64_t stride, std::int64_t dilation);

struct Pool2DOptions {
  std::int64_t pool_h = 2, pool_w = 2;
  std::int64_t stride_h = 2, stride_w = 2;
  std::string padding = "valid";
};
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options = {});
Tensor average_pool2d(const Tensor& x, const Pool2DOptions& options = {});
// (n, h, w, c) -> (n, c), or (n, 1, 1, c) with keepdims
Tensor global_average_pool2d(const Tensor& x, bool keepdims = false);
Tensor global_max_pool2d(const Tensor& x, bool keepdims = false);

// Batch normalization over the last axis.
struct BatchNormResult {
  Tensor y;
  Tensor batch_mean;      // training only: statistics for the moving averages
  Tensor batch_variance;  // biased, as Keras 3 uses
};
BatchNormResult batch_normalization_training(const Tensor& x, const Tensor& gamma,
                                             const Tensor& beta, float epsilon);
Tensor batch_normalization_inference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                     const Tensor& moving_mean, const Tensor& moving_variance,
                                     float epsilon);

// Inverted dropout: zeroes with probability `rate`, scales the rest by 1/(1-rate).
// `noise_shape` (default: x's shape) broadcasts the mask, e.g. (n, 1, 1, c) for
// SpatialDropout2D.
Tensor dropout(const Tensor& x, float rate, std::uint64_t seed,
               std::optional<Shape> noise_shape = std::nullopt);

}  // namespace keras::ops
