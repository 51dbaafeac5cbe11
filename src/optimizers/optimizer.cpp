#include "keras/optimizers/optimizer.hpp"

#include <cmath>

#include "keras/core/autograd.hpp"
#include "keras/ops/math.hpp"

namespace keras::optimizers {

Optimizer::Optimizer(std::string name, LearningRate learning_rate, CommonOptions common)
    : name_(std::move(name)), learning_rate_(std::move(learning_rate)), common_(common) {
  const int clips = common_.clipnorm.has_value() + common_.clipvalue.has_value() +
                    common_.global_clipnorm.has_value();
  if (clips > 1) {
    throw ValueError(name_ + ": give at most one of clipnorm, clipvalue and global_clipnorm");
  }
  if (!learning_rate_.is_schedule() && !(learning_rate_.at(0) >= 0.0)) {
    throw ValueError(name_ + ": learning_rate must be a non-negative number or a schedule");
  }
}

double Optimizer::learning_rate() const { return learning_rate_.at(iterations_); }

void Optimizer::set_learning_rate(double value) {
  if (!(value >= 0.0)) {
    throw ValueError(name_ + ": learning_rate must be non-negative, got " + std::to_string(value));
  }
  learning_rate_ = LearningRate(value);
}

Tensor& Optimizer::add_slot(const Shape& shape, float initial_value) {
  slots_.push_back(Tensor::full(shape, initial_value));
  return slots_.back();
}

void Optimizer::apply(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables) {
  if (gradients.size() != variables.size()) {
    throw ValueError(name_ + ": " + std::to_string(gradients.size()) + " gradients for " +
                     std::to_string(variables.size()) + " variables");
  }
  NoGradGuard no_grad;
  if (built_for_.empty()) {
    build(variables);
    for (const auto& v : variables) built_for_.push_back(v.get());
  } else {
    bool same = built_for_.size() == variables.size();
    for (std::size_t i = 0; same && i < variables.size(); ++i) same = built_for_[i] == variables[i].get();
    if (!same) {
      throw ValueError(name_ + " was built for another list of variables; use one optimizer per "
                               "model (compile again with a new optimizer)");
    }
  }
  std::vector<Tensor> grads = gradients;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].shape() != variables[i]->shape()) {
      throw ShapeError(name_ + ": gradient of shape " + to_string(grads[i].shape()) +
                       " for variable '" + variables[i]->path() + "' of shape " +
                       to_string(variables[i]->shape()));
    }
  }
  // Keras 3's order: clip the gradients, decay the weights, then update.
  if (common_.clipnorm) {
    for (auto& g : grads) {
      const double norm = std::sqrt(ops::sum(ops::square(g)).item<float>());
      if (norm > *common_.clipnorm) g = g * static_cast<float>(*common_.clipnorm / norm);
    }
  } else if (common_.global_clipnorm) {
    double total = 0.0;
    for (const auto& g : grads) total += ops::sum(ops::square(g)).item<float>();
    const double norm = std::sqrt(total);
    if (norm > *common_.global_clipnorm) {
      for (auto& g : grads) g = g * static_cast<float>(*common_.global_clipnorm / norm);
    }
  } else if (common_.clipvalue) {
    const auto v = static_cast<float>(*common_.clipvalue);
    for (auto& g : grads) g = ops::clip(g, -v, v);
  }
  const double lr = learning_rate();
  if (common_.weight_decay && *common_.weight_decay != 0.0) {
    const auto keep = static_cast<float>(1.0 - *common_.weight_decay * lr);
    for (const auto& v : variables) v->assign(v->value() * keep);
  }
  for (std::size_t i = 0; i < variables.size(); ++i) update_step(grads[i], *variables[i], i, lr);
  ++iterations_;
}

}  // namespace keras::optimizers
