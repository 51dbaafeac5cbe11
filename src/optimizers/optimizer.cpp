#include "keras/optimizers/optimizer.hpp"

#include <cmath>
#include <stdexcept>

#include "keras/core/autograd.hpp"
#include "keras/internal/capture_recording.hpp"
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

void Optimizer::build_for(const std::vector<VariablePtr>& variables) {
  if (built_for_.empty()) {
    NoGradGuard no_grad;
    build(variables);
    for (const auto& v : variables) built_for_.push_back(v.get());
    return;
  }
  bool same = built_for_.size() == variables.size();
  for (std::size_t i = 0; same && i < variables.size(); ++i) same = built_for_[i] == variables[i].get();
  if (!same) {
    throw ValueError(name_ + " was built for another list of variables; use one optimizer per "
                             "model (compile again with a new optimizer)");
  }
}

void Optimizer::restore(std::int64_t iterations, const std::vector<Tensor>& slot_values) {
  if (iterations < 0) throw ValueError(name_ + ": a saved step counter cannot be negative");
  if (slot_values.size() != slots_.size()) {
    throw ValueError(name_ + ": the saved state has " + std::to_string(slot_values.size()) + " slot variables, this " +
                     "optimizer has " + std::to_string(slots_.size()) + " (another optimizer configuration or model)");
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slot_values[i].shape() != slots_[i].shape()) {
      throw ValueError(name_ + ": saved slot " + std::to_string(i) + " has shape " + to_string(slot_values[i].shape()) +
                       ", this optimizer's has " + to_string(slots_[i].shape()));
    }
  }
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].assign(slot_values[i]);
  iterations_ = iterations;
  state_restored();
}

void Optimizer::apply(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables) {
  update(gradients, variables, Tensor{});
  internal::every_step([this] { ++iterations_; });
}

void Optimizer::update(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables,
                       const Tensor& gate) {
  if (gradients.size() != variables.size()) {
    throw ValueError(name_ + ": " + std::to_string(gradients.size()) + " gradients for " +
                     std::to_string(variables.size()) + " variables");
  }
  NoGradGuard no_grad;
  if (internal::CaptureRecording::active() && !records_update(variables)) {  // the engine asks first
    throw BackendError(name_ + "'s update cannot be recorded for replay");
  }
  if (gate.defined() && !internal::CaptureRecording::active()) {
    throw std::logic_error(name_ + ": a gated update is only recorded (op by op the caller reads the gate first)");
  }
  build_for(variables);
  std::vector<Tensor> grads = gradients;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].shape() != variables[i]->shape()) {
      throw ShapeError(name_ + ": gradient of shape " + to_string(grads[i].shape()) +
                       " for variable '" + variables[i]->path() + "' of shape " +
                       to_string(variables[i]->shape()));
    }
  }
  // Keras 3's order: clip the gradients, decay the weights, then update. The clipping is Keras'
  // clip_by_norm / clip_by_global_norm in ops, so the norms never leave the backend.
  if (common_.clipnorm) {
    const auto c = static_cast<float>(*common_.clipnorm);
    for (auto& g : grads) {
      const Tensor norm = ops::sqrt(ops::sum(ops::square(g)));
      g = ops::divide(g * c, ops::maximum(norm, Tensor::scalar(c, &g.backend())));
    }
  } else if (common_.global_clipnorm && !grads.empty()) {
    const auto c = static_cast<float>(*common_.global_clipnorm);
    Tensor total;
    for (const auto& g : grads) {
      const Tensor s = ops::sum(ops::square(g));
      total = total.defined() ? total + s : s;
    }
    const Tensor norm = ops::sqrt(total);
    // c * min(1/norm, 1/c), plus (norm - norm) so that a non-finite norm makes every gradient NaN.
    const Tensor scale = ops::add(ops::minimum(ops::reciprocal(norm), Tensor::scalar(1.0f / c, &norm.backend())) * c,
                                  ops::subtract(norm, norm));
    for (auto& g : grads) g = ops::multiply(g, scale);
  } else if (common_.clipvalue) {
    const auto v = static_cast<float>(*common_.clipvalue);
    for (auto& g : grads) g = ops::clip(g, -v, v);
  }
  const double lr = learning_rate();
  if (common_.weight_decay && *common_.weight_decay != 0.0 && !variables.empty()) {
    if (auto* recording = internal::CaptureRecording::active()) {  // the factor follows the learning rate at each replay
      const double wd = *common_.weight_decay;
      Tensor keep = recording->per_step_scalar(
          variables.front()->value().backend(), [this, wd] { return static_cast<float>(1.0 - wd * learning_rate()); });
      if (gate.defined()) keep = gated(gate, keep, Tensor::scalar(1.0f, &keep.backend()));
      for (const auto& v : variables) v->assign(ops::multiply(v->value(), keep));
    } else {
      const auto keep = static_cast<float>(1.0 - *common_.weight_decay * lr);
      for (const auto& v : variables) v->assign(v->value() * keep);
    }
  }
  update_steps(grads, variables, lr, gate);
}

Tensor Optimizer::gated(const Tensor& gate, const Tensor& open, const Tensor& shut) {
  if (!gate.defined()) return open;
  // open * 1 + shut * 0 and open * 0 + shut * 1 round to nothing: exactly open or shut.
  return ops::add(ops::multiply(open, gate), ops::multiply(shut, ops::affine(gate, -1.0f, 1.0f)));
}

bool Optimizer::records_update(const std::vector<VariablePtr>&) const { return false; }

void Optimizer::update_steps(const std::vector<Tensor>& gradients, const std::vector<VariablePtr>& variables,
                             double learning_rate, const Tensor& gate) {
  if (gate.defined()) throw std::logic_error(name_ + ": its per-variable updates cannot be gated (records_update is false)");
  for (std::size_t i = 0; i < variables.size(); ++i) update_step(gradients[i], *variables[i], i, learning_rate);
}

}  // namespace keras::optimizers
