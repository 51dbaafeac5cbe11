// Loss functions composed from differentiable ops, with Keras' clipping and smoothing rules.
#include "keras/ops/losses.hpp"

#include "keras/internal/op_support.hpp"
#include "keras/ops/activation.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras::ops {

namespace {
void check_same_shape(const Tensor& y_true, const Tensor& y_pred, const char* loss) {
  if (y_true.shape() != y_pred.shape()) {
    throw ShapeError(std::string(loss) + ": y_true of shape " + to_string(y_true.shape()) +
                     " does not match y_pred of shape " + to_string(y_pred.shape()));
  }
}
void check_smoothing(float label_smoothing, const char* loss) {
  if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f)) {
    throw ValueError(std::string(loss) + ": label_smoothing must be in [0, 1], got " +
                     std::to_string(label_smoothing));
  }
}
}  // namespace

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                float label_smoothing) {
  internal::require_float32(y_true, "categorical_crossentropy");
  check_same_shape(y_true, y_pred, "categorical_crossentropy");
  check_smoothing(label_smoothing, "categorical_crossentropy");
  Tensor target = y_true;
  if (label_smoothing > 0.0f) {
    const auto classes = static_cast<float>(y_pred.dim(-1));
    target = affine(y_true, 1.0f - label_smoothing, label_smoothing / classes);
  }
  if (from_logits) return negative(sum(multiply(target, log_softmax(y_pred)), {-1}));
  // Probabilities: renormalize, then clip away from 0 and 1, as Keras does.
  const Tensor p = clip(divide(y_pred, sum(y_pred, {-1}, true)), kEpsilon, 1.0f - kEpsilon);
  return negative(sum(multiply(target, log(p)), {-1}));
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                       bool from_logits, float label_smoothing) {
  internal::require_float32(y_pred, "sparse_categorical_crossentropy");
  if (y_pred.rank() < 1) {
    throw ShapeError("sparse_categorical_crossentropy: y_pred needs a class axis, got " +
                     to_string(y_pred.shape()));
  }
  Tensor labels = y_true;
  // Keras accepts labels of shape (n,) or (n, 1) for predictions (n, classes).
  if (labels.rank() == y_pred.rank() && labels.dim(-1) == 1) {
    std::vector<std::int64_t> dims(labels.shape().dims().begin(), labels.shape().dims().end() - 1);
    labels = reshape(labels, Shape(dims));
  }
  const Shape expected(std::vector<std::int64_t>(y_pred.shape().dims().begin(),
                                                 y_pred.shape().dims().end() - 1));
  if (labels.shape() != expected) {
    throw ShapeError("sparse_categorical_crossentropy: labels of shape " +
                     to_string(y_true.shape()) + " do not match predictions of shape " +
                     to_string(y_pred.shape()) + " (expected " + to_string(expected) + ")");
  }
  return categorical_crossentropy(one_hot(labels, y_pred.dim(-1)), y_pred, from_logits,
                                  label_smoothing);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                           float label_smoothing) {
  internal::require_float32(y_true, "binary_crossentropy");
  check_same_shape(y_true, y_pred, "binary_crossentropy");
  check_smoothing(label_smoothing, "binary_crossentropy");
  const Tensor z = label_smoothing > 0.0f
                       ? affine(y_true, 1.0f - label_smoothing, 0.5f * label_smoothing)
                       : y_true;
  if (from_logits) {
    // max(x, 0) - x z + log(1 + exp(-|x|)), stable for any logit.
    const Tensor softplus_neg_abs = log(affine(exp(negative(abs(y_pred))), 1.0f, 1.0f));
    return mean(add(subtract(relu(y_pred), multiply(y_pred, z)), softplus_neg_abs), {-1});
  }
  const Tensor p = clip(y_pred, kEpsilon, 1.0f - kEpsilon);
  const Tensor ll = add(multiply(z, log(affine(p, 1.0f, kEpsilon))),
                        multiply(affine(z, -1.0f, 1.0f), log(affine(p, -1.0f, 1.0f + kEpsilon))));
  return negative(mean(ll, {-1}));
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  internal::require_float32(y_true, "mean_squared_error");
  check_same_shape(y_true, y_pred, "mean_squared_error");
  return mean(square(subtract(y_true, y_pred)), {-1});
}

}  // namespace keras::ops
