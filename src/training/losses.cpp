#include "keras/losses/losses.hpp"

#include "keras/internal/name_lookup.hpp"
#include "keras/internal/op_support.hpp"
#include <functional>
#include <map>

#include "keras/ops/activation.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/losses.hpp"
#include "keras/ops/math.hpp"

namespace keras::losses {

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  // Keras' losses compute in float32 whatever the model's outputs are (mixed precision).
  Tensor per_sample = call(internal::widened(y_true), internal::widened(y_pred));
  if (sample_weight.defined()) {
    if (sample_weight.size() != per_sample.dim(0)) {
      throw ShapeError(name_ + ": sample_weight of shape " + to_string(sample_weight.shape()) +
                       " for a batch of " + std::to_string(per_sample.dim(0)));
    }
    std::vector<std::int64_t> dims(static_cast<std::size_t>(per_sample.rank()), 1);
    dims[0] = per_sample.dim(0);
    per_sample = ops::multiply(per_sample, ops::reshape(sample_weight.astype(float32), Shape(dims)));
  }
  const auto count = static_cast<float>(std::max<std::int64_t>(per_sample.size(), 1));
  return ops::sum(per_sample) * (1.0f / count);
}

namespace {
using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;

class FunctionLoss final : public Loss {
 public:
  FunctionLoss(std::string name, std::string class_name, std::map<std::string, double> arguments, Fn fn)
      : Loss(std::move(name), std::move(class_name), std::move(arguments)), fn_(std::move(fn)) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override { return fn_(y_true, y_pred); }

 private:
  Fn fn_;
};

LossPtr make(std::string name, std::string class_name, std::map<std::string, double> arguments, Fn fn) {
  return std::make_shared<FunctionLoss>(std::move(name), std::move(class_name), std::move(arguments), std::move(fn));
}

std::map<std::string, double> crossentropy_arguments(const CrossentropyOptions& o) {
  return {{"from_logits", o.from_logits ? 1.0 : 0.0}, {"label_smoothing", o.label_smoothing}};
}

// Regression targets may come as integers (labels as numbers); losses compute in float32.
Tensor as_float(const Tensor& t) { return t.dtype() == float32 ? t : t.astype(float32); }
}  // namespace

LossPtr SparseCategoricalCrossentropy(CrossentropyOptions o) {
  return make("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", crossentropy_arguments(o), [o](const Tensor& t, const Tensor& p) {
    return ops::sparse_categorical_crossentropy(t.dtype() == float32 ? t.astype(int32) : t, p,
                                                o.from_logits, o.label_smoothing);
  });
}
LossPtr CategoricalCrossentropy(CrossentropyOptions o) {
  return make("categorical_crossentropy", "CategoricalCrossentropy", crossentropy_arguments(o), [o](const Tensor& t, const Tensor& p) {
    return ops::categorical_crossentropy(as_float(t), p, o.from_logits, o.label_smoothing);
  });
}
LossPtr BinaryCrossentropy(CrossentropyOptions o) {
  return make("binary_crossentropy", "BinaryCrossentropy", crossentropy_arguments(o), [o](const Tensor& t, const Tensor& p) {
    return ops::binary_crossentropy(as_float(t), p, o.from_logits, o.label_smoothing);
  });
}
LossPtr MeanSquaredError() {
  return make("mean_squared_error", "MeanSquaredError", {},
              [](const Tensor& t, const Tensor& p) { return ops::mean_squared_error(as_float(t), p); });
}
LossPtr MeanAbsoluteError() {
  return make("mean_absolute_error", "MeanAbsoluteError", {}, [](const Tensor& t, const Tensor& p) {
    return ops::mean(ops::abs(ops::subtract(p, as_float(t))), {-1});
  });
}
LossPtr Huber(HuberOptions o) {
  if (!(o.delta > 0.0f)) throw ValueError("Huber: delta must be positive");
  return make("huber_loss", "Huber", {{"delta", o.delta}}, [o](const Tensor& t, const Tensor& p) {
    // 0.5 e^2 where |e| <= delta, delta (|e| - delta / 2) beyond: split |e| at delta.
    const Tensor abs_error = ops::abs(ops::subtract(p, as_float(t)));
    const Tensor quadratic = ops::minimum(abs_error, Tensor::full({}, o.delta, float32, &p.backend()));
    const Tensor linear = ops::subtract(abs_error, quadratic);
    return ops::mean(ops::add(ops::square(quadratic) * 0.5f, linear * o.delta), {-1});
  });
}
LossPtr KLDivergence() {
  return make("kl_divergence", "KLDivergence", {}, [](const Tensor& t, const Tensor& p) {
    const Tensor yt = ops::clip(as_float(t), ops::kEpsilon, 1.0f), yp = ops::clip(p, ops::kEpsilon, 1.0f);
    return ops::sum(ops::multiply(yt, ops::log(ops::divide(yt, yp))), {-1});
  });
}

LossPtr get(const std::string& name) {
  static const std::map<std::string, LossPtr (*)()> table{
      {"sparse_categorical_crossentropy", [] { return SparseCategoricalCrossentropy(); }},
      {"categorical_crossentropy", [] { return CategoricalCrossentropy(); }},
      {"binary_crossentropy", [] { return BinaryCrossentropy(); }},
      {"mean_squared_error", [] { return MeanSquaredError(); }},
      {"mse", [] { return MeanSquaredError(); }},
      {"mean_absolute_error", [] { return MeanAbsoluteError(); }},
      {"mae", [] { return MeanAbsoluteError(); }},
      {"huber", [] { return Huber(); }},
      {"huber_loss", [] { return Huber(); }},
      {"kl_divergence", [] { return KLDivergence(); }},
      {"kld", [] { return KLDivergence(); }},
      {"kullback_leibler_divergence", [] { return KLDivergence(); }},
  };
  return internal::lookup_name(table, name, "loss")();
}

}  // namespace keras::losses
