#pragma once
// keras.losses: loss objects with Keras' names, arguments and reduction. Calling a loss gives
// the "sum_over_batch_size" reduction: sum(per-sample loss * sample_weight) / batch size.
#include <map>
#include <memory>
#include <string>

#include "keras/core/tensor.hpp"

namespace keras::losses {

class Loss {
 public:
  explicit Loss(std::string name, std::string class_name = "", std::map<std::string, double> arguments = {})
      : name_(std::move(name)), class_name_(std::move(class_name)), arguments_(std::move(arguments)) {}
  virtual ~Loss() = default;
  const std::string& name() const { return name_; }
  // Keras' class ("SparseCategoricalCrossentropy") and the arguments given to it
  // ({"from_logits", 1}), which model files record; empty for custom losses.
  const std::string& class_name() const { return class_name_; }
  const std::map<std::string, double>& arguments() const { return arguments_; }
  // One loss per sample (the last axis reduced), differentiable.
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // The reduced, weighted loss: a scalar. sample_weight (n,) is optional.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) const;

 private:
  std::string name_, class_name_;
  std::map<std::string, double> arguments_;
};
using LossPtr = std::shared_ptr<Loss>;

struct CrossentropyOptions {
  bool from_logits = false;
  float label_smoothing = 0.0f;
};
LossPtr SparseCategoricalCrossentropy(CrossentropyOptions options = {});
LossPtr CategoricalCrossentropy(CrossentropyOptions options = {});
LossPtr BinaryCrossentropy(CrossentropyOptions options = {});
LossPtr MeanSquaredError();
LossPtr MeanAbsoluteError();
struct HuberOptions {
  float delta = 1.0f;
};
LossPtr Huber(HuberOptions options = {});
LossPtr KLDivergence();

// Keras' string names and aliases ("mse", "mae", "kld", "huber", ...); a typo raises a
// ValueError listing them.
LossPtr get(const std::string& name);

}  // namespace keras::losses
