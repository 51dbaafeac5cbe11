#pragma once
// Differentiable loss functions reducing only the last axis, as Keras' functional losses do
// (one loss per sample for (n, classes) inputs); training reduces them to the mean.
#include "keras/core/tensor.hpp"

namespace keras::ops {

// Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does (epsilon()).
inline constexpr float kEpsilon = 1e-7f;

// y_true: integer class labels (n) or (n, 1), int32 or uint8; y_pred: (n, classes).
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       bool from_logits = false, float label_smoothing = 0.0f);
// y_true: (n, classes) target distribution.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                bool from_logits = false, float label_smoothing = 0.0f);
// Mean over the last axis. Labels are smoothed towards 0.5.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           float label_smoothing = 0.0f);
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);

}  // namespace keras::ops
