#include "captured_step.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <utility>

#include "keras/core/autograd.hpp"
#include "keras/core/errors.hpp"
#include "keras/internal/deferred_checks.hpp"
#include "keras/models/model.hpp"
#include "keras/optimizers/loss_scale_optimizer.hpp"

namespace keras::internal {
namespace {

// Seeds a step may draw for its random kernels (Dropout, GaussianNoise...): one per random
// layer call, so a few dozen even for deep nets.
constexpr std::size_t kSeedSlots = 1024;
// Scalars the whole step computes on the host each step: the learning rate or Adam's step
// size, the weight decay's factor, Nadam's five.
constexpr std::size_t kScalarSlots = 16;

template <class F>
void each_tensor(const utils::Batch& batch, F f) {
  for (const Tensor& t : batch.x) f(t);
  for (const Tensor& t : batch.y) f(t);
  if (batch.sample_weight.defined()) f(batch.sample_weight);
}

}  // namespace

StepPass forward_backward(Model& model, ModelState& st, const utils::Batch& batch, const std::vector<Tensor>& values) {
  TrainingState& t = st.training;
  StepPass p;
  p.outputs = model(batch.x, true);
  p.loss = compiled_loss(t, batch.y, p.outputs, batch.sample_weight);
  p.total = p.loss.total + model.regularization_loss();
  p.gradients = GradientTape().gradient(t.optimizer->scale_loss(p.total), values);
  return p;
}

StepPass forward_only(Model& model, ModelState& st, const utils::Batch& batch) {
  const NoGradGuard no_grad;
  StepPass p;
  p.outputs = model(batch.x, false);
  p.loss = compiled_loss(st.training, batch.y, p.outputs, batch.sample_weight);
  p.total = p.loss.total + model.regularization_loss();
  return p;
}

StepPass forward_predict(Model& model, const utils::Batch& batch) {
  const NoGradGuard no_grad;
  StepPass p;
  p.outputs = model(batch.x, false);
  return p;
}

CapturedStep::~CapturedStep() { drop_recording(); }

// The batch's backends, dtypes and shapes, the weights the recording reads (and, training,
// differentiates) by where they are stored, and the loss scale it multiplied by.
CapturedStep::Key CapturedStep::key_of(const ModelState& st, const utils::Batch& batch,
                                       const std::vector<VariablePtr>& variables) const {
  Key key;
  const auto add_tensor = [&](const void* where, const Tensor& t) {
    key.push_back(reinterpret_cast<std::uintptr_t>(where));
    key.push_back(static_cast<std::uint64_t>(t.dtype()));
    key.push_back(static_cast<std::uint64_t>(t.rank()));
    for (const std::int64_t d : t.shape().dims()) key.push_back(static_cast<std::uint64_t>(d));
  };
  each_tensor(batch, [&](const Tensor& t) { add_tensor(&t.backend(), t); });
  key.push_back(~std::uint64_t{0});  // the batch ends here (a sample weight or not)
  for (const auto& v : variables) {
    const Tensor value = v->value();
    add_tensor(raw_data(value), value);
  }
  if (const auto* scaled = dynamic_cast<const optimizers::LossScaleOptimizer*>(st.training.optimizer.get())) {
    key.push_back(std::bit_cast<std::uint64_t>(scaled->dynamic_scale()));
  }
  return key;
}

Replayed CapturedStep::run(Model& model, ModelState& st, const utils::Batch& batch,
                           const std::vector<VariablePtr>& variables, const std::vector<Tensor>& values, bool whole,
                           const Rest& rest, StepPass& pass) {
  bool on_this_backend = true;
  each_tensor(batch, [&](const Tensor& t) { on_this_backend = on_this_backend && &t.backend() == &backend_; });
  if (!failure_.empty() || !on_this_backend) return Replayed::nothing;
  whole = whole && !whole_refused_;
  Key key = key_of(st, batch, variables);
  key.push_back(whole ? 1 : 0);
  const bool seen_before = key == previous_key_;
  previous_key_ = key;
  if (!(work_ && key == recorded_key_)) {
    // Shapes not seen in the step before (a last partial batch) run op by op.
    if (!seen_before || !record(model, st, batch, values, whole, rest)) return Replayed::nothing;
    recorded_key_ = std::move(key);
  }
  replay(batch);
  pass = pass_;
  return whole_ ? Replayed::whole_step : Replayed::pass;
}

bool CapturedStep::record(Model& model, ModelState& st, const utils::Batch& batch, const std::vector<Tensor>& values,
                          bool whole, const Rest& rest) {
  drop_recording();
  // The recording reads its batch from these, allocated before it so that it does not own them.
  inputs_ = {};
  for (const Tensor& t : batch.x) inputs_.x.push_back(Tensor::empty(t.shape(), t.dtype(), &backend_));
  for (const Tensor& t : batch.y) inputs_.y.push_back(Tensor::empty(t.shape(), t.dtype(), &backend_));
  if (batch.sample_weight.defined()) {
    inputs_.sample_weight = Tensor::empty(batch.sample_weight.shape(), batch.sample_weight.dtype(), &backend_);
  }
  // The per-step scalars, then the seeds (64-bit, two float32 elements each): one upload per replay.
  tables_ = Tensor::empty({static_cast<std::int64_t>(kScalarSlots + 2 * kSeedSlots)}, float32, &backend_);
  auto* seed_table = reinterpret_cast<std::uint64_t*>(internal::data<float>(tables_) + kScalarSlots);
  bool in_rest = false;  // a refusal there leaves the pass recordable alone
  try {
    CaptureRecording recording(backend_, seed_table, kSeedSlots,
                               tables_.slice(0, static_cast<std::int64_t>(kScalarSlots)));
    backend_.begin_capture();
    try {
      StepPass p = kind_ == StepKind::train  ? forward_backward(model, st, inputs_, values)
                   : kind_ == StepKind::test ? forward_only(model, st, inputs_)
                                             : forward_predict(model, inputs_);
      if (whole) {
        in_rest = true;
        rest(inputs_, p);
      }
      // Keep the tensors, not the tape behind them: the recording owns their memory.
      for (auto& o : p.outputs) o = o.detach();
      for (auto& l : p.loss.per_output) l = l.detach();
      if (p.loss.total.defined()) p.loss.total = p.loss.total.detach();
      if (p.total.defined()) p.total = p.total.detach();
      pass_ = std::move(p);
      work_ = backend_.end_capture();
    } catch (...) {
      pass_ = {};
      backend_.abort_capture();
      throw;
    }
    draws_ = recording.take_draws();
    checks_ = recording.take_checks();
    scalars_ = recording.take_scalars();
    hooks_ = recording.take_hooks();
    whole_ = whole;
  } catch (const BackendError& e) {  // what the backend refused while recording
    drop_recording();
    if (in_rest) {  // its host bookkeeping was deferred, so nothing has changed: record the pass alone next time
      whole_refused_ = true;
      previous_key_.back() = 0;
      std::fprintf(stderr,
                   "kerascpp: the %s step of model '%s' cannot be recorded whole on '%s' (%s); its pass is recorded "
                   "and the rest runs op by op\n",
                   kind_name(), st.name.c_str(), backend_.name().c_str(), e.what());
      return false;
    }
    failure_ = e.what();
    std::fprintf(stderr,
                 "kerascpp: the %s step of model '%s' cannot be recorded for replay on '%s' (%s); it runs op "
                 "by op (compile(jit_compile=false) turns recording off)\n",
                 kind_name(), st.name.c_str(), backend_.name().c_str(), failure_.c_str());
    return false;
  } catch (...) {  // the step's own error (a wrong shape, say): op by op it would fail alike
    drop_recording();
    throw;
  }
  seeds_.clear();
  for (const auto& d : draws_) seeds_.push_back(d.value);  // the recorded step's own draws
  first_replay_ = true;
  return true;
}

void CapturedStep::replay(const utils::Batch& batch) {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < batch.x.size(); ++i) inputs_.x[i].assign(batch.x[i]);
  for (std::size_t i = 0; i < batch.y.size(); ++i) inputs_.y[i].assign(batch.y[i]);
  if (batch.sample_weight.defined()) inputs_.sample_weight.assign(batch.sample_weight);
  if (!std::exchange(first_replay_, false)) {
    // The same streams' next values, in the recorded order: what the step op by op would draw.
    // (The recording drew the first replay's.)
    for (std::size_t i = 0; i < draws_.size(); ++i) seeds_[i] = draws_[i].redraw();
  }
  if (!seeds_.empty() || !scalars_.empty()) {  // laid out as in tables_, up to the last seed used
    float scalars[kScalarSlots] = {};
    float* next = scalars;
    for (const auto& s : scalars_) {
      s.compute(next);
      next += s.count;
    }
    const std::size_t seeds = std::min(seeds_.size(), kSeedSlots) * sizeof(std::uint64_t);
    upload_.resize(sizeof scalars + seeds);
    std::memcpy(upload_.data(), scalars, sizeof scalars);
    if (seeds) std::memcpy(upload_.data() + sizeof scalars, seeds_.data(), seeds);
    backend_.copy_from_host(raw_data(tables_), upload_.data(), upload_.size());
  }
  backend_.replay(*work_);
  for (const auto& c : checks_) defer_check(c.count, c.describe);
  for (const auto& hook : hooks_) hook();
}

const char* CapturedStep::kind_name() const {
  return kind_ == StepKind::train ? "training" : kind_ == StepKind::test ? "test" : "predict";
}

void CapturedStep::drop_recording() {
  pass_ = {};
  checks_.clear();
  draws_.clear();
  scalars_.clear();
  hooks_.clear();
  whole_ = false;
  work_.reset();  // frees what only the recording held, after its queued replays
  inputs_ = {};
  tables_ = {};
  recorded_key_.clear();
}

}  // namespace keras::internal
