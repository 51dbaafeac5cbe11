// SGD, Adam, AdamW, RMSprop, Adagrad and Nadam, with Keras 3's update formulas (see
// keras/src/optimizers/*.py); tests/optimizers check them against numbers from real Keras.
#include "keras/optimizers/optimizers.hpp"

#include <cmath>
#include <map>
#include <vector>

#include "keras/internal/capture_recording.hpp"
#include "keras/internal/name_lookup.hpp"

namespace keras::optimizers {

namespace {

// The backend every variable of the group lives on (the model's), or null when they are spread
// over several; a grouped update is one backend's call.
Backend* one_backend(const std::vector<VariablePtr>& vars) {
  if (vars.empty()) return nullptr;
  Backend* b = &vars.front()->value().backend();
  for (const auto& v : vars) {
    if (&v->value().backend() != b) return nullptr;
  }
  return b;
}

// A gated update's gate as the `_at` kernels read it: null when there is none.
const float* gate_data(const Tensor& gate) { return gate.defined() ? internal::data<float>(gate) : nullptr; }

void check_unit_interval(double v, const char* what, const char* optimizer) {
  if (!(v >= 0.0 && v < 1.0)) {
    throw ValueError(std::string(optimizer) + ": " + what + " must be in [0, 1), got " + std::to_string(v));
  }
}

// What the built-in optimizers share: their update kernels read the step's scalars from the
// backend's memory, so their update is recorded with the step when all variables are on one
// backend.
class BuiltinOptimizer : public Optimizer {
 public:
  using Optimizer::Optimizer;
  bool records_update(const std::vector<VariablePtr>& vars) const override { return one_backend(vars) != nullptr; }

 protected:
  // While recording: the learning rate, a per-step scalar of `backend`.
  Tensor recorded_learning_rate(internal::CaptureRecording& recording, Backend& backend) {
    return recording.per_step_scalar(backend, [this] { return static_cast<float>(learning_rate()); });
  }
  // update_steps for an optimizer with a per-variable kernel that takes the learning rate:
  // op by op, update_step for each variable; while recording, `record(backend, i, lr, gate)`
  // records variable i's `_at` kernel, reading the recorded learning rate and the gate.
  template <class Record>
  void update_each(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars, double lr,
                   const Tensor& gate, Record record) {
    auto* recording = internal::CaptureRecording::active();
    if (!recording) return Optimizer::update_steps(grads, vars, lr, gate);
    Backend& backend = vars.front()->value().backend();  // records_update: all on one backend
    const Tensor lr_now = recorded_learning_rate(*recording, backend);
    for (std::size_t i = 0; i < vars.size(); ++i) record(backend, i, internal::data<float>(lr_now), gate_data(gate));
  }
};

class SGDOptimizer final : public BuiltinOptimizer {
 public:
  explicit SGDOptimizer(const SGDOptions& o)
      : BuiltinOptimizer("SGD", o.learning_rate, o.common), momentum_(o.momentum), nesterov_(o.nesterov) {
    check_unit_interval(o.momentum, "momentum", "SGD");
  }

 protected:
  void build(const std::vector<VariablePtr>& vars) override {
    if (momentum_ == 0.0) return;
    for (const auto& v : vars) add_slot(v->shape());
  }
  std::vector<std::pair<std::string, double>> hyperparameters() const override {
    return {{"momentum", momentum_}, {"nesterov", nesterov_ ? 1.0 : 0.0}};
  }
  void update_step(const Tensor& g, Variable& var, std::size_t i, double lr) override {
    const SgdTensors t = tensors(g, var, i);
    var.value().backend().sgd_update(t.var, t.m, t.g, t.n, static_cast<float>(lr), static_cast<float>(momentum_),
                                     nesterov_);
  }
  void update_steps(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars, double lr,
                    const Tensor& gate) override {
    Backend* backend = one_backend(vars);
    if (!backend) return Optimizer::update_steps(grads, vars, lr, gate);
    std::vector<SgdTensors> group;
    for (std::size_t i = 0; i < vars.size(); ++i) group.push_back(tensors(grads[i], *vars[i], i));
    if (auto* recording = internal::CaptureRecording::active()) {
      const Tensor lr_now = recorded_learning_rate(*recording, *backend);
      backend->sgd_update_group_at(group.data(), group.size(), internal::data<float>(lr_now), gate_data(gate),
                                   static_cast<float>(momentum_), nesterov_);
      return;
    }
    backend->sgd_update_group(group.data(), group.size(), static_cast<float>(lr), static_cast<float>(momentum_),
                              nesterov_);
  }

 private:
  SgdTensors tensors(const Tensor& g, Variable& var, std::size_t i) {
    return {internal::data<float>(var.value()), momentum_ == 0.0 ? nullptr : internal::data<float>(slot(i)),
            internal::data<float>(g), static_cast<std::size_t>(g.size())};
  }
  double momentum_;
  bool nesterov_;
};

// Adam and AdamW share the update; AdamW adds decoupled weight decay through CommonOptions.
class AdamOptimizer final : public BuiltinOptimizer {
 public:
  AdamOptimizer(std::string name, LearningRate lr, double b1, double b2, double eps, bool amsgrad,
                CommonOptions common)
      : BuiltinOptimizer(name, std::move(lr), common), beta_1_(b1), beta_2_(b2), epsilon_(eps), amsgrad_(amsgrad) {
    check_unit_interval(b1, "beta_1", name.c_str());
    check_unit_interval(b2, "beta_2", name.c_str());
  }

 protected:
  void build(const std::vector<VariablePtr>& vars) override {
    for (const auto& v : vars) {  // m and v of each variable in turn, as Keras 3 creates them
      add_slot(v->shape());
      add_slot(v->shape());
    }
    if (amsgrad_) {
      for (const auto& v : vars) add_slot(v->shape());  // max of v
    }
    count_ = vars.size();
  }
  std::vector<std::pair<std::string, double>> hyperparameters() const override {
    return {{"beta_1", beta_1_}, {"beta_2", beta_2_}, {"epsilon", epsilon_}, {"amsgrad", amsgrad_ ? 1.0 : 0.0}};
  }
  void update_step(const Tensor& g, Variable& var, std::size_t i, double lr) override {
    const AdamTensors t = tensors(g, var, i);
    var.value().backend().adam_update(t.var, t.m, t.v, t.v_max, t.g, t.n, alpha(lr), static_cast<float>(1.0 - beta_1_),
                                      static_cast<float>(1.0 - beta_2_), static_cast<float>(epsilon_));
  }
  void update_steps(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars, double lr,
                    const Tensor& gate) override {
    Backend* backend = one_backend(vars);
    if (!backend) return Optimizer::update_steps(grads, vars, lr, gate);
    std::vector<AdamTensors> group;
    for (std::size_t i = 0; i < vars.size(); ++i) group.push_back(tensors(grads[i], *vars[i], i));
    const auto b1 = static_cast<float>(1.0 - beta_1_), b2 = static_cast<float>(1.0 - beta_2_);
    if (auto* recording = internal::CaptureRecording::active()) {  // alpha follows the step counter at each replay
      const Tensor alpha_now = recording->per_step_scalar(*backend, [this] { return alpha(learning_rate()); });
      backend->adam_update_group_at(group.data(), group.size(), internal::data<float>(alpha_now), gate_data(gate), b1,
                                    b2, static_cast<float>(epsilon_));
      return;
    }
    backend->adam_update_group(group.data(), group.size(), alpha(lr), b1, b2, static_cast<float>(epsilon_));
  }

 private:
  // Scalars rounded as Keras rounds them: the bias correction in float32 (1 - 0.999f^t differs
  // from the exact value by 1e-5 relative, which shows in the updates), the moment factors
  // 1 - beta in double, then cast.
  float alpha(double lr) const {
    const auto t = static_cast<float>(iterations() + 1);
    const auto b1 = static_cast<float>(beta_1_), b2 = static_cast<float>(beta_2_);
    return static_cast<float>(lr) * std::sqrt(1.0f - std::pow(b2, t)) / (1.0f - std::pow(b1, t));
  }
  AdamTensors tensors(const Tensor& g, Variable& var, std::size_t i) {
    return {internal::data<float>(var.value()), internal::data<float>(slot(2 * i)), internal::data<float>(slot(2 * i + 1)),
            amsgrad_ ? internal::data<float>(slot(2 * count_ + i)) : nullptr, internal::data<float>(g),
            static_cast<std::size_t>(g.size())};
  }

  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  std::size_t count_ = 0;
};

class RMSpropOptimizer final : public BuiltinOptimizer {
 public:
  explicit RMSpropOptimizer(const RMSpropOptions& o)
      : BuiltinOptimizer("RMSprop", o.learning_rate, o.common), o_(o) {
    check_unit_interval(o.rho, "rho", "RMSprop");
    check_unit_interval(o.momentum, "momentum", "RMSprop");
  }

 protected:
  void build(const std::vector<VariablePtr>& vars) override {
    count_ = vars.size();
    for (const auto& v : vars) add_slot(v->shape());  // velocity
    if (o_.momentum > 0.0) {
      for (const auto& v : vars) add_slot(v->shape());
    }
    if (o_.centered) {
      for (const auto& v : vars) add_slot(v->shape());  // average gradient
    }
  }
  std::vector<std::pair<std::string, double>> hyperparameters() const override {
    return {{"rho", o_.rho}, {"momentum", o_.momentum}, {"epsilon", o_.epsilon}, {"centered", o_.centered ? 1.0 : 0.0}};
  }
  void update_step(const Tensor& g, Variable& var, std::size_t i, double lr) override {
    var.value().backend().rmsprop_update(internal::data<float>(var.value()), internal::data<float>(slot(i)),
                                         momentum_slot(i), average(i), internal::data<float>(g), g.size(),
                                         static_cast<float>(lr), static_cast<float>(o_.rho),
                                         static_cast<float>(o_.momentum), static_cast<float>(o_.epsilon));
  }
  void update_steps(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars, double lr,
                    const Tensor& gate) override {
    update_each(grads, vars, lr, gate, [&](Backend& backend, std::size_t i, const float* lr_at, const float* gate_at) {
      backend.rmsprop_update_at(internal::data<float>(vars[i]->value()), internal::data<float>(slot(i)),
                                momentum_slot(i), average(i), internal::data<float>(grads[i]), grads[i].size(), lr_at,
                                gate_at, static_cast<float>(o_.rho), static_cast<float>(o_.momentum),
                                static_cast<float>(o_.epsilon));
    });
  }

 private:
  float* momentum_slot(std::size_t i) { return o_.momentum > 0.0 ? internal::data<float>(slot(count_ + i)) : nullptr; }
  float* average(std::size_t i) {
    return o_.centered ? internal::data<float>(slot((o_.momentum > 0.0 ? 2 : 1) * count_ + i)) : nullptr;
  }
  RMSpropOptions o_;
  std::size_t count_ = 0;
};

class AdagradOptimizer final : public BuiltinOptimizer {
 public:
  explicit AdagradOptimizer(const AdagradOptions& o)
      : BuiltinOptimizer("Adagrad", o.learning_rate, o.common), o_(o) {}

 protected:
  void build(const std::vector<VariablePtr>& vars) override {
    for (const auto& v : vars) add_slot(v->shape(), static_cast<float>(o_.initial_accumulator_value));
  }
  std::vector<std::pair<std::string, double>> hyperparameters() const override {
    return {{"initial_accumulator_value", o_.initial_accumulator_value}, {"epsilon", o_.epsilon}};
  }
  void update_step(const Tensor& g, Variable& var, std::size_t i, double lr) override {
    var.value().backend().adagrad_update(internal::data<float>(var.value()), internal::data<float>(slot(i)),
                                         internal::data<float>(g), g.size(), static_cast<float>(lr),
                                         static_cast<float>(o_.epsilon));
  }
  void update_steps(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars, double lr,
                    const Tensor& gate) override {
    update_each(grads, vars, lr, gate, [&](Backend& backend, std::size_t i, const float* lr_at, const float* gate_at) {
      backend.adagrad_update_at(internal::data<float>(vars[i]->value()), internal::data<float>(slot(i)),
                                internal::data<float>(grads[i]), grads[i].size(), lr_at, gate_at,
                                static_cast<float>(o_.epsilon));
    });
  }

 private:
  AdagradOptions o_;
};

class NadamOptimizer final : public BuiltinOptimizer {
 public:
  explicit NadamOptimizer(const NadamOptions& o) : BuiltinOptimizer("Nadam", o.learning_rate, o.common), o_(o) {
    check_unit_interval(o.beta_1, "beta_1", "Nadam");
    check_unit_interval(o.beta_2, "beta_2", "Nadam");
  }

 protected:
  void build(const std::vector<VariablePtr>& vars) override {
    count_ = vars.size();
    for (const auto& v : vars) {  // m and v of each variable in turn, as Keras 3 creates them
      add_slot(v->shape());
      add_slot(v->shape());
    }
    add_slot({}, 1.0f);  // the product of the momentum schedule's u's (Keras' last variable)
  }
  std::vector<std::pair<std::string, double>> hyperparameters() const override {
    return {{"beta_1", o_.beta_1}, {"beta_2", o_.beta_2}, {"epsilon", o_.epsilon}};
  }
  void update_step(const Tensor& g, Variable& var, std::size_t i, double lr) override {
    if (i == 0) {  // the step's scalars; the product of the u's is advanced and saved once per step
      step_ = step_scalars();
      slot(2 * count_).set<float>({}, step_.u_product);
    }
    var.value().backend().nadam_update(internal::data<float>(var.value()), internal::data<float>(slot(2 * i)),
                                       internal::data<float>(slot(2 * i + 1)), internal::data<float>(g), g.size(),
                                       one_minus(o_.beta_1), one_minus(o_.beta_2), step_.m_scale, step_.g_scale,
                                       step_.v_divisor, static_cast<float>(lr), static_cast<float>(o_.epsilon));
  }
  void update_steps(const std::vector<Tensor>& grads, const std::vector<VariablePtr>& vars, double lr,
                    const Tensor& gate) override {
    auto* recording = internal::CaptureRecording::active();
    if (!recording) return Optimizer::update_steps(grads, vars, lr, gate);
    Backend& backend = vars.front()->value().backend();  // records_update: all on one backend
    // m_scale, g_scale, v_divisor and lr as nadam_update_at reads them, then the product of the u's.
    const Tensor scalars = recording->per_step_scalars(backend, 5, [this](float* out) {
      const StepScalars now = step_scalars();
      out[0] = now.m_scale;
      out[1] = now.g_scale;
      out[2] = now.v_divisor;
      out[3] = static_cast<float>(learning_rate());
      out[4] = now.u_product;
    });
    Tensor& product = slot(2 * count_);
    product.assign(gated(gate, scalars[4], product));
    for (std::size_t i = 0; i < vars.size(); ++i) {
      backend.nadam_update_at(internal::data<float>(vars[i]->value()), internal::data<float>(slot(2 * i)),
                              internal::data<float>(slot(2 * i + 1)), internal::data<float>(grads[i]),
                              grads[i].size(), one_minus(o_.beta_1), one_minus(o_.beta_2),
                              internal::data<float>(scalars), gate_data(gate), static_cast<float>(o_.epsilon));
    }
  }

 private:
  // Keras' momentum schedule, u_t = beta_1 (1 - 0.5 * 0.96^t), and the scalars of step t
  // computed from it, in float32 as Keras computes them (see Adam).
  struct StepScalars {
    float m_scale, g_scale, v_divisor, u_product;
  };
  float u(float t) const { return static_cast<float>(o_.beta_1) * (1.0f - 0.5f * std::pow(0.96f, t)); }
  StepScalars step_scalars() {
    const auto t = static_cast<float>(iterations() + 1);
    const auto b2 = static_cast<float>(o_.beta_2);
    const float u_t = u(t);
    const float u_next = u(t + 1.0f);
    const float u_product = u_product_through(iterations()) * u_t;
    const float u_product_next = u_product * u_next;
    return {u_next / (1.0f - u_product_next), (1.0f - u_t) / (1.0f - u_product), 1.0f - std::pow(b2, t), u_product};
  }
  // The product of the u's of steps 1 to `steps`: a function of the step counter alone (a
  // skipped step counts no step and multiplies no u), advanced from the last one known, so it
  // needs no bookkeeping after a replayed step. Kept on the host (the step's scalars need it);
  // a restored state's is read back once in state_restored().
  float u_product_through(std::int64_t steps) {
    for (; u_product_steps_ < steps; ++u_product_steps_) u_product_ *= u(static_cast<float>(u_product_steps_ + 1));
    return u_product_;
  }
  static float one_minus(double beta) { return 1.0f - static_cast<float>(beta); }
  void state_restored() override {
    u_product_ = slot(2 * count_).item<float>();
    u_product_steps_ = iterations();
  }

  NadamOptions o_;
  std::size_t count_ = 0;
  float u_product_ = 1.0f;
  std::int64_t u_product_steps_ = 0;
  StepScalars step_{};
};

}  // namespace

OptimizerPtr SGD(SGDOptions o) { return std::make_shared<SGDOptimizer>(o); }
OptimizerPtr Adam(AdamOptions o) {
  return std::make_shared<AdamOptimizer>("Adam", o.learning_rate, o.beta_1, o.beta_2, o.epsilon,
                                         o.amsgrad, o.common);
}
OptimizerPtr AdamW(AdamWOptions o) {
  CommonOptions common = o.common;
  common.weight_decay = o.weight_decay;
  return std::make_shared<AdamOptimizer>("AdamW", o.learning_rate, o.beta_1, o.beta_2, o.epsilon,
                                         o.amsgrad, common);
}
OptimizerPtr RMSprop(RMSpropOptions o) { return std::make_shared<RMSpropOptimizer>(o); }
OptimizerPtr Adagrad(AdagradOptions o) { return std::make_shared<AdagradOptimizer>(o); }
OptimizerPtr Nadam(NadamOptions o) { return std::make_shared<NadamOptimizer>(o); }

OptimizerPtr get(const std::string& name) {
  static const std::map<std::string, OptimizerPtr (*)()> table{
      {"sgd", [] { return SGD(); }},         {"adam", [] { return Adam(); }},
      {"adamw", [] { return AdamW(); }},     {"rmsprop", [] { return RMSprop(); }},
      {"adagrad", [] { return Adagrad(); }}, {"nadam", [] { return Nadam(); }},
  };
  std::string key;
  for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return internal::lookup_name(table, key, "optimizer")();
}

}  // namespace keras::optimizers
