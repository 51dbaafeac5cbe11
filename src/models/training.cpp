// compile, fit, evaluate, predict and the single-batch variants: Keras 3's semantics
// (trainer.py): loss tracked as a batch-size-weighted mean including regularization, metrics
// accumulated over the epoch, validation split taken from the end before shuffling.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <tuple>
#include <utility>

#include "keras/core/autograd.hpp"
#include "keras/callbacks/callbacks.hpp"
#include "keras/callbacks/model_checkpoint.hpp"
#include "keras/core/random.hpp"
#include "keras/distribute/strategy.hpp"
#include "keras/mixed_precision/policy.hpp"
#include "keras/models/model.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"
#include "keras/optimizers/loss_scale_optimizer.hpp"
#include "keras/utils/progbar.hpp"
#include "../distribute/gradient_packs.hpp"
#include "captured_step.hpp"
#include "mirrored_training.hpp"
#include "model_state.hpp"
#include "prefetcher.hpp"

namespace keras {

// --- argument types ---------------------------------------------------------------------

OptimizerSpec::OptimizerSpec(const char* name) : optimizer_(optimizers::get(name)) {}
OptimizerSpec::OptimizerSpec(const std::string& name) : optimizer_(optimizers::get(name)) {}
OptimizerSpec::OptimizerSpec(optimizers::OptimizerPtr optimizer) : optimizer_(std::move(optimizer)) {
  if (!optimizer_) throw ValueError("compile: the optimizer is null");
}

LossSpec::LossSpec(const char* name) : losses_{losses::get(name)} {}
LossSpec::LossSpec(const std::string& name) : losses_{losses::get(name)} {}
LossSpec::LossSpec(losses::LossPtr loss) : losses_{std::move(loss)} {
  if (!losses_.front()) throw ValueError("compile: a loss is null");
}
LossSpec::LossSpec(std::initializer_list<LossSpec> per_output) {
  for (const auto& spec : per_output) losses_.insert(losses_.end(), spec.get().begin(), spec.get().end());
}

Verbosity::Verbosity(const char* mode) {
  if (std::string(mode) != "auto") {
    throw ValueError(std::string("verbose must be 0, 1, 2 or \"auto\", got \"") + mode + "\"");
  }
}
int Verbosity::resolve() const {
  if (level_ == -1) return utils::stdout_is_terminal() ? 1 : 2;
  if (level_ < 0 || level_ > 2) throw ValueError("verbose must be 0, 1, 2 or \"auto\", got " + std::to_string(level_));
  return level_;
}

JitCompile::JitCompile(const char* mode) {
  if (std::string(mode) != "auto") {
    throw ValueError(std::string("jit_compile must be true, false or \"auto\", got \"") + mode + "\"");
  }
}

namespace {

using callbacks::Logs;
using internal::TrainingState;

// --- data -------------------------------------------------------------------------------

struct Arrays {
  std::vector<Tensor> x, y;
  Tensor sample_weight;
  std::int64_t size() const { return x.empty() ? 0 : x.front().dim(0); }
  Arrays slice(std::int64_t start, std::int64_t stop) const {
    Arrays a;
    for (const auto& t : x) a.x.push_back(t.slice(start, stop));
    for (const auto& t : y) a.y.push_back(t.slice(start, stop));
    if (sample_weight.defined()) a.sample_weight = sample_weight.slice(start, stop);
    return a;
  }
};

// Replica `replica`'s consecutive share of the rows [start, stop) of a global batch.
std::pair<std::int64_t, std::int64_t> replica_share(std::int64_t start, std::int64_t stop, int replica, int replicas) {
  const auto [first, last] = utils::shard_rows(stop - start, replica, replicas);
  return {start + first, start + last};
}

// Batches of arrays; reshuffled at every epoch when `shuffle`.
class ArraySequence final : public utils::Sequence {
 public:
  // With `replicas` > 1, get(i) is replica `replica`'s share of global batch i: the same
  // order on every replica (each draws the same shuffle), then consecutive slices of it.
  ArraySequence(Arrays data, std::int64_t batch_size, bool shuffle, int replica = 0, int replicas = 1)
      : data_(std::move(data)), batch_size_(batch_size), shuffle_(shuffle), replica_(replica), replicas_(replicas) {
    order_.resize(static_cast<std::size_t>(data_.size()));
    std::iota(order_.begin(), order_.end(), 0);
    if (shuffle_) reshuffle();
  }
  std::size_t size() const override {
    return static_cast<std::size_t>((data_.size() + batch_size_ - 1) / batch_size_);
  }
  utils::Batch get(std::size_t index) override {
    std::int64_t start = static_cast<std::int64_t>(index) * batch_size_;
    std::int64_t stop = std::min(start + batch_size_, data_.size());
    if (replicas_ > 1) std::tie(start, stop) = replica_share(start, stop, replica_, replicas_);
    if (!shuffle_) {
      Arrays a = data_.slice(start, stop);
      return {a.x, a.y, a.sample_weight};
    }
    const std::vector<std::int64_t> rows(order_.begin() + start, order_.begin() + stop);
    utils::Batch b;
    for (const auto& t : data_.x) b.x.push_back(ops::take_rows(t, rows));
    for (const auto& t : data_.y) b.y.push_back(ops::take_rows(t, rows));
    if (data_.sample_weight.defined()) b.sample_weight = ops::take_rows(data_.sample_weight, rows);
    return b;
  }
  void on_epoch_end() override {
    if (shuffle_) reshuffle();
  }
  // A fingerprint of this epoch's order, for checking that every replica drew the same one.
  std::uint64_t order_fingerprint() const {
    std::uint64_t h = 1469598103934665603ull;
    for (const std::int64_t i : order_) h = (h ^ static_cast<std::uint64_t>(i)) * 1099511628211ull;
    return h;
  }

 private:
  // Each epoch's order depends on its seed alone (not on the previous order), so a run resumed
  // from a backup, which restores the seed stream, draws the order the interrupted run would.
  void reshuffle() {
    std::mt19937_64 rng(random::next_seed());  // reproducible under utils::set_random_seed
    std::iota(order_.begin(), order_.end(), 0);
    std::shuffle(order_.begin(), order_.end(), rng);
  }
  Arrays data_;
  std::int64_t batch_size_;
  bool shuffle_;
  int replica_, replicas_;
  std::vector<std::int64_t> order_;
};

// A data source cut for one replica of a strategy: each replica gets its consecutive slice of
// every global batch (the same batch everywhere, as a seeded ImageDataGenerator flow or a
// deterministic Sequence gives), as ArraySequence does with arrays. The source's get_shard makes
// it: ImageDataGenerator's flows read and transform only the replica's own images; other
// sources make the whole batch and keep the slice.
class ShardedSequence final : public utils::Sequence {
 public:
  ShardedSequence(utils::Sequence& source, int replica, int replicas)
      : source_(source), replica_(replica), replicas_(replicas) {}
  std::size_t size() const override { return source_.size(); }
  utils::Batch get(std::size_t index) override { return source_.get_shard(index, replica_, replicas_); }
  void on_epoch_end() override { source_.on_epoch_end(); }

 private:
  utils::Sequence& source_;
  int replica_, replicas_;
};

std::int64_t samples_in(const utils::Batch& b) { return b.x.empty() ? 0 : b.x.front().dim(0); }

// Labels (n), (n, 1) or one-hot (n, k) -> class ids, for class_weight.
std::vector<std::int64_t> class_ids(const Tensor& y) {
  if (y.rank() >= 2 && y.dim(-1) > 1) {
    const auto v = y.astype(float32).to_vector<float>();
    const std::int64_t k = y.dim(-1);
    std::vector<std::int64_t> ids;
    for (std::int64_t i = 0; i < y.dim(0); ++i) {
      ids.push_back(std::max_element(v.begin() + i * k, v.begin() + (i + 1) * k) - (v.begin() + i * k));
    }
    return ids;
  }
  const auto v = y.astype(int32).to_vector<std::int32_t>();
  return {v.begin(), v.end()};
}

Tensor apply_class_weight(const Tensor& y, const Tensor& sample_weight, const std::map<int, double>& class_weight) {
  if (class_weight.empty()) return sample_weight;
  const auto ids = class_ids(y);
  std::vector<float> w(ids.size(), 1.0f);
  if (sample_weight.defined()) w = sample_weight.astype(float32).to_vector<float>();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto it = class_weight.find(static_cast<int>(ids[i]));
    if (it != class_weight.end()) w[i] *= static_cast<float>(it->second);
  }
  return Tensor::from_vector(w, {static_cast<std::int64_t>(w.size())});
}

}  // namespace

// --- compile ----------------------------------------------------------------------------

void Model::compile(CompileOptions o) {
  auto& st = state();
  TrainingState& t = st.training;
  t.strategy = distribute::current();
  t.mirrored_replicas.reset();
  const std::size_t outputs = st.built ? st.outputs.size() : 1;  // Sequential: one output
  if (o.loss.get().empty()) {
    throw ValueError("compile: no loss given; pass .loss = \"sparse_categorical_crossentropy\" (or another "
                     "Keras loss name or a keras::losses object)");
  }
  std::vector<losses::LossPtr> per_output = o.loss.get();
  if (per_output.size() == 1) per_output.resize(outputs, per_output.front());
  if (per_output.size() != outputs) {
    throw ValueError("compile: " + std::to_string(per_output.size()) + " losses for a model with " +
                     std::to_string(outputs) + " outputs");
  }
  std::vector<double> weights = o.loss_weights.empty() ? std::vector<double>(outputs, 1.0) : o.loss_weights;
  if (weights.size() != outputs) {
    throw ValueError("compile: " + std::to_string(weights.size()) + " loss_weights for " +
                     std::to_string(outputs) + " outputs");
  }
  t.metrics.assign(outputs, {});
  t.prefixes.assign(outputs, "");
  for (std::size_t k = 0; k < outputs; ++k) {
    if (outputs > 1) t.prefixes[k] = st.outputs[k].name() + "_";
    for (const auto& spec : o.metrics) {
      if (outputs > 1 && spec.is_object()) {
        throw ValueError("compile: metric objects are shared; give metric names (\"accuracy\") for a "
                         "model with several outputs");
      }
      t.metrics[k].push_back(spec.make());
    }
  }
  if (o.steps_per_execution < 1) {
    throw ValueError("compile: steps_per_execution must be at least 1, got " + std::to_string(o.steps_per_execution));
  }
  t.steps_per_execution = o.steps_per_execution;
  t.jit_compile = o.jit_compile.enabled();
  t.captured_step.reset();
  t.captured_test_step.reset();
  t.captured_predict_step.reset();
  t.optimizer = o.optimizer.get();
  // Keras 3 wraps the optimizer for dynamic loss scaling when the policy is mixed_float16.
  if (mixed_precision::global_policy().name() == "mixed_float16" &&
      !dynamic_cast<const optimizers::LossScaleOptimizer*>(t.optimizer.get())) {
    t.optimizer = std::make_shared<optimizers::LossScaleOptimizer>(t.optimizer);
  }
  t.losses = std::move(per_output);
  t.loss_weights = std::move(weights);
  t.output_loss_trackers.clear();
  if (outputs > 1) {
    for (std::size_t k = 0; k < outputs; ++k) t.output_loss_trackers.emplace_back(t.prefixes[k] + "loss");
  }
  t.compiled = true;
}

bool Model::compiled() const { return state().training.compiled; }
optimizers::OptimizerPtr Model::optimizer() const { return state().training.optimizer; }
bool Model::stop_training() const { return state().training.stop_training; }
void Model::set_stop_training(bool value) { state().training.stop_training = value; }

namespace {

void require_compiled(const internal::ModelState& st, const char* what) {
  if (!st.training.compiled) {
    throw ValueError(std::string(what) + ": model '" + st.name +
                     "' is not compiled; call compile({.optimizer = ..., .loss = ...}) first");
  }
}

void reset_metrics(TrainingState& t) {
  t.loss_tracker.reset_state();
  for (auto& m : t.output_loss_trackers) m.reset_state();
  for (auto& per_output : t.metrics) {
    for (auto& m : per_output) m->reset_state();
  }
}

Logs current_logs(const TrainingState& t) {
  Logs logs{{"loss", t.loss_tracker.result()}};
  for (const auto& m : t.output_loss_trackers) logs[m.name()] = m.result();
  for (std::size_t k = 0; k < t.metrics.size(); ++k) {
    for (const auto& m : t.metrics[k]) logs[t.prefixes[k] + m->name()] = m->result();
  }
  return logs;
}

// --- data parallelism (keras::distribute) -------------------------------------------------

// Training across processes (MultiWorkerMirroredStrategy); the devices of one process
// (MirroredStrategy) train in run_mirrored_step.
bool data_parallel(const TrainingState& t) { return t.strategy && t.strategy->num_workers() > 1; }

// Host copies of `tensors`, each element times `weight`, summed across the replicas in buckets of
// 4 Mi floats (one collective per bucket); the sums as tensors of the same shapes and dtypes.
std::vector<Tensor> all_reduce(distribute::Strategy& strategy, const std::vector<Tensor>& tensors, float weight) {
  constexpr std::size_t kBucket = std::size_t{1} << 22;
  std::vector<float> flat;
  std::vector<std::size_t> offsets;
  for (const Tensor& t : tensors) {
    offsets.push_back(flat.size());
    for (const float v : t.astype(float32).to_vector<float>()) flat.push_back(v * weight);
  }
  offsets.push_back(flat.size());
  for (std::size_t at = 0; at < flat.size(); at += kBucket) {
    strategy.all_reduce_sum(flat.data() + at, std::min(kBucket, flat.size() - at));
  }
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::vector<float> part(flat.begin() + static_cast<std::ptrdiff_t>(offsets[i]),
                                  flat.begin() + static_cast<std::ptrdiff_t>(offsets[i + 1]));
    out.push_back(Tensor::from_vector(part, tensors[i].shape()).astype(tensors[i].dtype()));
  }
  return out;
}

// The chief's value of every weight, on every replica (fit's start).
void broadcast_weights(Model& model, distribute::Strategy& strategy) {
  for (const auto& v : model.weights()) {
    if (v->value().dtype() != float32) continue;
    std::vector<float> values = v->value().to_vector<float>();
    strategy.broadcast_from_chief(values.data(), values.size() * sizeof(float));
    v->assign(Tensor::from_vector(values, v->shape()));
  }
}

// The weights that training updates from each replica's own batch, BatchNormalization's moving
// statistics, become their mean across replicas after each step, as TensorFlow's mirrored
// variables with MEAN aggregation do. (Other non-trainable weights, a frozen base's, are the same
// on every replica and are left alone.)
void average_non_trainable(Model& model, distribute::Strategy& strategy) {
  std::vector<VariablePtr> vars;
  std::vector<Tensor> values;
  for (const auto& v : model.non_trainable_weights()) {
    if (!internal::is_moving_statistic(v)) continue;
    vars.push_back(v);
    values.push_back(v->value());
  }
  if (vars.empty()) return;
  const auto means = all_reduce(strategy, values, 1.0f / static_cast<float>(strategy.num_workers()));
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(means[i]);
}

// The epoch's logs over every replica's samples: each replica's figure weighted by the samples
// it saw. Exact for the loss and every mean over samples (accuracies, MSE, MAE); precision,
// recall and AUC are not means over samples and come out as the sample-weighted mean.
Logs global_logs(distribute::Strategy& strategy, const Logs& local, double samples) {
  std::vector<double> sums;
  for (const auto& [name, value] : local) sums.push_back(value * samples);
  sums.push_back(samples);
  strategy.all_reduce_sum(sums.data(), sums.size());
  Logs logs;
  std::size_t i = 0;
  for (const auto& [name, value] : local) logs[name] = sums[i++] / sums.back();
  return logs;
}

// Every replica stops where any one of them was told to: a batch's callbacks see that replica's
// own batch logs (TerminateOnNaN may see NaN on one replica only), and a replica that left the
// loop alone would leave the others waiting in the next step's collectives.
void agree_on_stopping(distribute::Strategy& strategy, TrainingState& t) {
  double stops = t.stop_training ? 1.0 : 0.0;
  strategy.all_reduce_sum(&stops, 1);
  t.stop_training = stops > 0.0;
}

// Keras' multi-worker rule: only the chief writes checkpoints and logs to files.
bool writes_files(const callbacks::CallbackPtr& c) {
  return dynamic_cast<callbacks::ModelCheckpointCallback*>(c.get()) != nullptr ||
         dynamic_cast<callbacks::CSVLoggerCallback*>(c.get()) != nullptr;
}

}  // namespace

internal::CompiledLoss internal::compiled_loss(const TrainingState& t, const std::vector<Tensor>& y,
                                               const std::vector<Tensor>& predictions, const Tensor& sample_weight) {
  CompiledLoss loss;
  for (std::size_t k = 0; k < predictions.size(); ++k) {
    const Tensor loss_k = (*t.losses[k])(y[k], predictions[k], sample_weight);
    loss.per_output.push_back(loss_k);
    const Tensor weighted = t.loss_weights[k] == 1.0 ? loss_k : loss_k * static_cast<float>(t.loss_weights[k]);
    loss.total = loss.total.defined() ? loss.total + weighted : weighted;
  }
  return loss;
}

namespace {

// The model's recording of a kind of step for `device`, made anew when the weights moved.
internal::CapturedStep& captured_on(std::shared_ptr<internal::CapturedStep>& slot, Backend& device,
                                    internal::StepKind kind) {
  if (!slot || &slot->backend() != &device) slot = std::make_shared<internal::CapturedStep>(device, kind);
  return *slot;
}

// The step replayed from a recording of it, when compile(jit_compile) allows and the weights'
// backend can replay work: the whole step, or its pass (then `rest` is the caller's to run).
internal::Replayed replayed_step(Model& model, internal::ModelState& st, const utils::Batch& batch, bool training,
                                 const std::vector<VariablePtr>& vars, const std::vector<Tensor>& values,
                                 const internal::CapturedStep::Rest& rest, internal::StepPass& pass) {
  TrainingState& t = st.training;
  if (!t.jit_compile) return internal::Replayed::nothing;
  std::vector<VariablePtr> all_weights;
  if (!training) all_weights = model.weights();
  const std::vector<VariablePtr>& weights = training ? vars : all_weights;
  if (weights.empty()) return internal::Replayed::nothing;
  Backend& device = weights.front()->value().backend();
  if (!device.supports_capture()) return internal::Replayed::nothing;
  internal::CapturedStep& captured =
      training ? captured_on(t.captured_step, device, internal::StepKind::train)
               : captured_on(t.captured_test_step, device, internal::StepKind::test);
  const bool whole = !training || t.optimizer->records_update(vars);
  return captured.run(model, st, batch, weights, values, whole, rest, pass);
}

// A batch's predictions, replayed from a recording of the model call where the step of
// training would be (compile(jit_compile), a backend that replays work); op by op otherwise.
// Replayed outputs are the recording's memory, written again by the next replay: the caller
// copies them out first.
std::vector<Tensor> predict_step(Model& model, internal::ModelState& st, const utils::Batch& source_batch) {
  TrainingState& t = st.training;
  const utils::Batch batch{source_batch.x, {}, {}};  // a data source's targets play no part
  const std::vector<VariablePtr> weights = t.jit_compile ? model.weights() : std::vector<VariablePtr>{};
  if (!weights.empty() && weights.front()->value().backend().supports_capture()) {
    internal::CapturedStep& captured =
        captured_on(t.captured_predict_step, weights.front()->value().backend(), internal::StepKind::predict);
    internal::StepPass pass;
    if (captured.run(model, st, batch, weights, {}, false, {}, pass) != internal::Replayed::nothing) {
      return pass.outputs;
    }
  }
  return internal::forward_predict(model, batch).outputs;
}

// A training step of data-parallel training across processes: the replicas' gradients are
// summed while the backward pass goes on.
double run_data_parallel_step(Model& model, internal::ModelState& st, const utils::Batch& batch) {
  TrainingState& t = st.training;
  const auto n = static_cast<double>(samples_in(batch));
  const std::vector<VariablePtr> vars = model.trainable_weights();
  std::vector<Tensor> values;
  for (const auto& v : vars) values.push_back(v->value());
  // BatchNormalization(synchronized=true) reduces over the model's strategy during its step.
  const distribute::internal::TrainingStrategyScope strategy_scope(t.strategy);
  const std::vector<Tensor> outputs = model(batch.x, true);
  const internal::CompiledLoss loss = internal::compiled_loss(t, batch.y, outputs, batch.sample_weight);
  for (std::size_t k = 0; k < t.output_loss_trackers.size(); ++k) {
    t.output_loss_trackers[k].update(loss.per_output[k].detach(), n);
  }
  const Tensor total = loss.total + model.regularization_loss();
  // Each replica's mean gradient weighted by its share of the global batch: the sum is the
  // global batch's mean gradient, also when the shares differ (the last batch).
  double global_n = n;
  t.strategy->all_reduce_sum(&global_n, 1);
  distribute::internal::GradientPacks packs(*t.strategy, values, static_cast<float>(n / global_n));
  GradientTape().gradient(t.optimizer->scale_loss(total), values,
                          [&](std::size_t i, const Tensor& g) { packs.ready(i, g); });
  t.optimizer->apply(packs.sums(), vars);
  average_non_trainable(model, *t.strategy);
  t.loss_tracker.update(total.detach(), n);
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    for (auto& m : t.metrics[k]) m->update_state(batch.y[k], outputs[k].detach(), batch.sample_weight);
  }
  return n;
}

// One step on a batch: forward, weighted losses plus regularization, and (when training)
// gradients and the optimizer update; then the trackers and metrics. Nothing is read on the
// host: the losses and metrics accumulate on the backend.
double run_step(Model& model, internal::ModelState& st, const utils::Batch& batch, bool training) {
  TrainingState& t = st.training;
  if (batch.y.size() != t.losses.size()) {
    throw ValueError("model '" + st.name + "' has " + std::to_string(t.losses.size()) + " outputs but got " +
                     std::to_string(batch.y.size()) + " target arrays");
  }
  if (training && internal::mirrored(t)) return internal::run_mirrored_step(model, st, batch);
  if (training && data_parallel(t)) return run_data_parallel_step(model, st, batch);
  const auto n = static_cast<double>(samples_in(batch));
  std::vector<VariablePtr> vars;
  std::vector<Tensor> values;
  if (training) {
    vars = model.trainable_weights();
    for (const auto& v : vars) values.push_back(v->value());
  }
  // Everything after the pass; recorded with it where the optimizer's update can be.
  // (The recording runs it on the batch buffers it reads, hence the batch as an argument.)
  const auto rest = [&](const utils::Batch& in, const internal::StepPass& p) {
    for (std::size_t k = 0; k < t.output_loss_trackers.size(); ++k) {
      t.output_loss_trackers[k].update(p.loss.per_output[k].detach(), n);
    }
    if (training) t.optimizer->apply(p.gradients, vars);
    t.loss_tracker.update(p.total.detach(), n);
    for (std::size_t k = 0; k < p.outputs.size(); ++k) {
      for (auto& m : t.metrics[k]) m->update_state(in.y[k], p.outputs[k].detach(), in.sample_weight);
    }
  };
  internal::StepPass pass;
  switch (replayed_step(model, st, batch, training, vars, values, rest, pass)) {
    case internal::Replayed::whole_step:
      break;
    case internal::Replayed::pass:
      rest(batch, pass);
      break;
    case internal::Replayed::nothing:
      pass = training ? internal::forward_backward(model, st, batch, values) : internal::forward_only(model, st, batch);
      rest(batch, pass);
      break;
  }
  return n;
}

// Everything that can be wrong with arrays, found before the first step.
void check_arrays(const internal::ModelState& st, const Arrays& a, const char* what) {
  const auto fail = [&](const std::string& msg) { throw ValueError(std::string(what) + ": " + msg); };
  if (a.x.empty()) fail("no input arrays given");
  if (a.x.size() != st.inputs.size()) {
    fail("model '" + st.name + "' has " + std::to_string(st.inputs.size()) + " inputs but got " +
         std::to_string(a.x.size()) + " input arrays");
  }
  const std::int64_t n = a.size();
  if (n == 0) fail("the data is empty (0 samples); nothing to train or evaluate on");
  for (std::size_t i = 0; i < a.x.size(); ++i) {
    if (a.x[i].dim(0) != n) {
      fail("input arrays differ in length: " + std::to_string(n) + " and " + std::to_string(a.x[i].dim(0)) + " samples");
    }
    const Shape& expected = st.inputs[i].shape();
    const Shape& got = a.x[i].shape();
    bool fits = expected.rank() == got.rank();
    for (int d = 1; fits && d < got.rank(); ++d) fits = expected.dims()[d] < 0 || expected.dims()[d] == got.dims()[d];
    if (!fits) {
      fail("input '" + st.inputs[i].name() + "' expects samples of shape " + to_string(expected) +
           " but x has shape " + to_string(got));
    }
    if (a.x[i].dtype() != float32) {
      fail("x has dtype " + to_string(a.x[i].dtype()) + "; convert it with x.astype(keras::float32) (and scale "
           "images, e.g. / 255.0f)");
    }
  }
  const TrainingState& t = st.training;
  if (!a.y.empty() && a.y.size() != st.outputs.size()) {
    fail("model '" + st.name + "' has " + std::to_string(st.outputs.size()) + " outputs but got " +
         std::to_string(a.y.size()) + " target arrays");
  }
  for (std::size_t k = 0; k < a.y.size(); ++k) {
    const Tensor& y = a.y[k];
    if (y.dim(0) != n) {
      fail("x has " + std::to_string(n) + " samples but y" + (a.y.size() > 1 ? "[" + std::to_string(k) + "]" : "") +
           " has " + std::to_string(y.dim(0)) + "; they must match");
    }
    const Shape& out = st.outputs[k].shape();
    const std::string& loss = t.losses[k]->name();
    if (loss == "sparse_categorical_crossentropy") {
      const std::int64_t classes = out[-1];
      const auto labels = y.astype(int32).to_vector<std::int32_t>();
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || labels[i] >= classes) {
          fail("label " + std::to_string(labels[i]) + " (sample " + std::to_string(i) + ") is outside [0, " +
               std::to_string(classes) + ") for the " + std::to_string(classes) + " classes of output '" +
               st.outputs[k].name() + "'; check the labels or give the last layer more units");
        }
      }
    } else if (y.rank() == out.rank()) {
      for (int d = 1; d < y.rank(); ++d) {
        if (out.dims()[d] >= 0 && out.dims()[d] != y.shape().dims()[d]) {
          fail("y has shape " + to_string(y.shape()) + " but output '" + st.outputs[k].name() + "' gives " +
               to_string(out) + " (" + loss + ")");
        }
      }
    }
  }
  if (a.sample_weight.defined() && a.sample_weight.size() != n) {
    fail("sample_weight has " + std::to_string(a.sample_weight.size()) + " entries for " + std::to_string(n) +
         " samples");
  }
}

struct CallbackList {
  std::vector<callbacks::CallbackPtr> all;
  template <class F>
  void each(F f) {
    for (auto& c : all) f(*c);
  }
  // The batch logs, read from the backend only when some callback reads them.
  Logs batch_logs(const TrainingState& t) const {
    for (const auto& c : all) {
      if (c->reads_batch_logs()) return current_logs(t);
    }
    return {};
  }
};

// The evaluation loop, shared by evaluate and fit's validation.
Logs run_test(Model& model, internal::ModelState& st, utils::Sequence& data, std::int64_t steps, CallbackList& cbs) {
  reset_metrics(st.training);
  Logs logs;
  cbs.each([&](auto& c) { c.on_test_begin(logs); });
  const std::int64_t per_execution = st.training.steps_per_execution;
  for (std::int64_t step = 0; step < steps; step += per_execution) {
    const std::int64_t last = std::min(step + per_execution, steps) - 1;
    Logs batch_logs;
    cbs.each([&](auto& c) { c.on_test_batch_begin(static_cast<int>(step), batch_logs); });
    for (std::int64_t s = step; s <= last; ++s) {
      run_step(model, st, data.get(static_cast<std::size_t>(s) % data.size()), false);
    }
    batch_logs = cbs.batch_logs(st.training);
    cbs.each([&](auto& c) { c.on_test_batch_end(static_cast<int>(last), batch_logs); });
  }
  logs = current_logs(st.training);
  cbs.each([&](auto& c) { c.on_test_end(logs); });
  return logs;
}

}  // namespace

void Model::build_for_inputs(const std::vector<Tensor>& x) {
  std::vector<Shape> shapes;
  for (const auto& t : x) shapes.push_back(t.shape());
  ensure_built(shapes);
}

callbacks::History Model::fit(const Tensor& x, const Tensor& y, FitOptions options) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(options));
}

namespace {
// What fit validates on: the batches of its validation arrays, else the data source given as
// validation_data, else nothing.
utils::Sequence* validation_source(const FitOptions& o, std::optional<ArraySequence>& arrays) {
  utils::Sequence* source = arrays ? &*arrays : o.validation_data ? o.validation_data->sequence : nullptr;
  if (source && source->size() == 0) throw ValueError("fit: the validation data source has no batches");
  return source;
}
}  // namespace

callbacks::History Model::fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, FitOptions o) {
  auto& st = state();
  require_compiled(st, "fit");
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0)) {
    throw ValueError("fit: validation_split must be in [0, 1), got " + std::to_string(o.validation_split));
  }
  if (o.validation_split > 0.0 && o.validation_data) {
    throw ValueError("fit: give validation_split or validation_data, not both");
  }
  build_for_inputs(x);
  Arrays all{x, y, o.sample_weight};
  check_arrays(st, all, "fit");
  const std::int64_t batch_size = o.batch_size.value_or(32);
  if (batch_size < 1) throw ValueError("fit: batch_size must be positive");
  // Keras takes the validation split from the end, before shuffling.
  Arrays train = all, validation;
  if (o.validation_split > 0.0) {
    const auto split_at = static_cast<std::int64_t>(std::floor(double(all.size()) * (1.0 - o.validation_split)));
    if (split_at == 0 || split_at == all.size()) {
      throw ValueError("fit: validation_split=" + std::to_string(o.validation_split) + " leaves " +
                       (split_at == 0 ? "no training" : "no validation") + " samples out of " +
                       std::to_string(all.size()));
    }
    train = all.slice(0, split_at);
    validation = all.slice(split_at, all.size());
  } else if (o.validation_data && !o.validation_data->sequence) {
    validation = Arrays{o.validation_data->x, o.validation_data->y, o.validation_data->sample_weight};
    check_arrays(st, validation, "fit (validation_data)");
  }
  if (!o.class_weight.empty()) train.sample_weight = apply_class_weight(train.y.front(), train.sample_weight, o.class_weight);
  distribute::Strategy* strategy = st.training.strategy;
  ArraySequence train_data(train, batch_size, o.shuffle, strategy ? strategy->worker_id() : 0,
                           strategy ? strategy->num_workers() : 1);
  if (data_parallel(st.training)) {
    // Every replica must cut the same global batches: the same shuffle, from the same seed.
    std::uint64_t chief_order = train_data.order_fingerprint();
    strategy->broadcast_from_chief(&chief_order, sizeof chief_order);
    double differ = chief_order == train_data.order_fingerprint() ? 0.0 : 1.0;
    strategy->all_reduce_sum(&differ, 1);
    if (differ > 0) {
      throw ValueError("fit: the workers drew different shuffles of the data; call keras::utils::set_random_seed "
                       "with the same seed on every worker before building the model");
    }
  }
  std::optional<ArraySequence> validation_data;
  if (validation.size() > 0) validation_data.emplace(validation, o.validation_batch_size.value_or(batch_size), false);
  // As in Keras, workers apply to data sources only: an array batch is one gather on the
  // backend, which the training thread enqueues itself (no kernels from worker threads).
  FitOptions arrays_options = o;
  arrays_options.workers = 1;
  return fit_sequences(train_data, validation_source(o, validation_data), arrays_options);
}

callbacks::History Model::fit(utils::Sequence& data, FitOptions o) {
  auto& st = state();
  require_compiled(st, "fit");
  if (data.size() == 0) throw ValueError("fit: the data source has no batches");
  if (o.validation_split > 0.0) {
    throw ValueError("fit: validation_split needs arrays; give validation_data with a data source");
  }
  const utils::Batch first = data.get(0);
  build_for_inputs(first.x);
  check_arrays(st, Arrays{first.x, first.y, first.sample_weight}, "fit");
  std::optional<ArraySequence> validation;
  if (o.validation_data && !o.validation_data->sequence) {
    Arrays v{o.validation_data->x, o.validation_data->y, o.validation_data->sample_weight};
    check_arrays(st, v, "fit (validation_data)");
    validation.emplace(v, o.validation_batch_size.value_or(o.batch_size.value_or(32)), false);
  }
  if (data_parallel(st.training)) {
    ShardedSequence shard(data, st.training.strategy->worker_id(), st.training.strategy->num_workers());
    return fit_sequences(shard, validation_source(o, validation), o);
  }
  return fit_sequences(data, validation_source(o, validation), o);
}

callbacks::History Model::fit_sequences(utils::Sequence& train, utils::Sequence* validation, const FitOptions& o) {
  auto& st = state();
  if (o.epochs < 0 || o.initial_epoch < 0) throw ValueError("fit: epochs and initial_epoch must not be negative");
  if (o.validation_freq < 1) throw ValueError("fit: validation_freq must be positive");
  if (o.workers < 1 || o.max_queue_size < 1) throw ValueError("fit: workers and max_queue_size must be positive");
  distribute::Strategy* strategy = st.training.strategy;
  const bool parallel = data_parallel(st.training);
  const bool chief = !parallel || strategy->is_chief();
  const int verbose = chief ? o.verbose.resolve() : 0;  // only the chief shows the progress bar
  const auto steps = static_cast<std::int64_t>(o.steps_per_epoch.value_or(static_cast<std::int64_t>(train.size())));
  auto history = std::make_shared<callbacks::HistoryCallback>();
  CallbackList cbs;
  std::shared_ptr<callbacks::ProgbarLogger> progbar;
  if (verbose > 0) {
    progbar = std::make_shared<callbacks::ProgbarLogger>(verbose);
    progbar->set_params(o.epochs, steps);
    progbar->in_fit = true;
    cbs.all.push_back(progbar);
  }
  // Validation runs without the progress bar, as in Keras; on workers other than the chief the
  // callbacks that write files are left out.
  CallbackList validation_cbs;
  for (auto& c : o.callbacks) {
    if (chief || !writes_files(c)) validation_cbs.all.push_back(c);
  }
  cbs.all.insert(cbs.all.end(), validation_cbs.all.begin(), validation_cbs.all.end());
  cbs.all.push_back(history);
  cbs.each([&](auto& c) { c.set_model(this); });
  if (parallel) broadcast_weights(*this, *strategy);

  st.training.stop_training = false;
  Logs logs;
  cbs.each([&](auto& c) { c.on_train_begin(logs); });
  int first_epoch = o.initial_epoch;
  if (st.training.resume_epoch) {
    first_epoch = std::max(first_epoch, *st.training.resume_epoch);
    st.training.resume_epoch.reset();
    // The interrupted run reshuffled after its last finished epoch, from the random state the
    // backup restored: draw that order again.
    if (first_epoch > o.initial_epoch) train.on_epoch_end();
  }
  std::size_t batch_index = 0;
  for (int epoch = first_epoch; epoch < o.epochs && !st.training.stop_training; ++epoch) {
    reset_metrics(st.training);
    double epoch_samples = 0.0;
    Logs epoch_logs;
    cbs.each([&](auto& c) { c.on_epoch_begin(epoch, epoch_logs); });
    // With workers, batches of this pass are made ahead; a new pass needs a new prefetcher.
    std::optional<internal::Prefetcher> ahead;
    auto start_pass = [&] {
      ahead.reset();
      if (o.workers > 1) {
        const std::size_t remaining = std::min<std::size_t>(train.size() - batch_index,
                                                            static_cast<std::size_t>(steps));
        ahead.emplace(train, batch_index, remaining, o.workers, o.max_queue_size);
      }
    };
    start_pass();
    // Keras 3: one begin/end callback pair per execution of steps_per_execution batches,
    // numbered by the execution's first and last batch (the last clamped to the epoch).
    const std::int64_t per_execution = st.training.steps_per_execution;
    for (std::int64_t step = 0; step < steps; step += per_execution) {
      const std::int64_t last = std::min(step + per_execution, steps) - 1;
      Logs batch_logs;
      cbs.each([&](auto& c) { c.on_train_batch_begin(static_cast<int>(step), batch_logs); });
      for (std::int64_t s = step; s <= last; ++s) {
        if (batch_index == train.size()) {  // steps_per_epoch beyond one pass: start another pass
          ahead.reset();
          train.on_epoch_end();
          batch_index = 0;
          start_pass();
        }
        ++batch_index;
        epoch_samples += run_step(*this, st, ahead ? ahead->next() : train.get(batch_index - 1), true);
      }
      batch_logs = cbs.batch_logs(st.training);
      cbs.each([&](auto& c) { c.on_train_batch_end(static_cast<int>(last), batch_logs); });
      if (parallel) agree_on_stopping(*strategy, st.training);
      if (st.training.stop_training) break;
    }
    ahead.reset();  // stop the workers before the pass may be reshuffled
    epoch_logs = current_logs(st.training);
    // The validation data is not sharded: every replica evaluates all of it, to the same figures.
    if (parallel) epoch_logs = global_logs(*strategy, epoch_logs, epoch_samples);
    if (validation && (epoch + 1) % o.validation_freq == 0) {
      const auto val_steps = o.validation_steps.value_or(static_cast<std::int64_t>(validation->size()));
      for (const auto& [name, value] : run_test(*this, st, *validation, val_steps, validation_cbs)) {
        epoch_logs["val_" + name] = value;
      }
    }
    cbs.each([&](auto& c) { c.on_epoch_end(epoch, epoch_logs); });
    if (parallel) agree_on_stopping(*strategy, st.training);
    if (!o.steps_per_epoch || batch_index == train.size()) {
      train.on_epoch_end();
      batch_index = 0;
    }
    logs = epoch_logs;
  }
  cbs.each([&](auto& c) { c.on_train_end(logs); });
  return history->history;
}

callbacks::Logs Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options) {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(options));
}

callbacks::Logs Model::evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y, EvaluateOptions o) {
  auto& st = state();
  require_compiled(st, "evaluate");
  build_for_inputs(x);
  Arrays data{x, y, o.sample_weight};
  check_arrays(st, data, "evaluate");
  ArraySequence batches(data, o.batch_size.value_or(32), false);
  return evaluate_sequence(batches, o);
}

callbacks::Logs Model::evaluate(utils::Sequence& data, EvaluateOptions o) {
  require_compiled(state(), "evaluate");
  if (data.size() == 0) throw ValueError("evaluate: the data source has no batches");
  return evaluate_sequence(data, o);
}

callbacks::Logs Model::evaluate_sequence(utils::Sequence& data, const EvaluateOptions& o) {
  auto& st = state();
  distribute::Strategy* strategy = st.training.strategy;
  const bool parallel = data_parallel(st.training);
  const bool chief = !parallel || strategy->is_chief();
  const int verbose = chief ? o.verbose.resolve() : 0;  // only the chief shows the progress bar
  const auto steps = o.steps.value_or(static_cast<std::int64_t>(data.size()));
  CallbackList cbs;
  if (verbose > 0) {
    auto progbar = std::make_shared<callbacks::ProgbarLogger>(verbose);
    progbar->set_params(1, steps);
    cbs.all.push_back(progbar);
  }
  cbs.all.insert(cbs.all.end(), o.callbacks.begin(), o.callbacks.end());
  cbs.each([&](auto& c) { c.set_model(this); });
  return run_test(*this, st, data, steps, cbs);
}

Tensor Model::predict(const Tensor& x, PredictOptions options) {
  auto outs = predict(std::vector<Tensor>{x}, std::move(options));
  if (outs.size() != 1) {
    throw ValueError("predict: model '" + name() + "' has " + std::to_string(outs.size()) +
                     " outputs; call predict with a vector of inputs to get them all");
  }
  return outs.front();
}

namespace {
// The outputs of the first `steps` batches of `batches` (cycled), concatenated per output.
std::vector<Tensor> predict_batches(Model& model, internal::ModelState& st, std::size_t outputs,
                                    utils::Sequence& batches, std::int64_t steps, const PredictOptions& o) {
  CallbackList cbs;
  if (const int verbose = o.verbose.resolve(); verbose > 0) {
    auto progbar = std::make_shared<callbacks::ProgbarLogger>(verbose);
    progbar->set_params(1, steps);
    cbs.all.push_back(progbar);
  }
  cbs.all.insert(cbs.all.end(), o.callbacks.begin(), o.callbacks.end());
  cbs.each([&](auto& c) { c.set_model(&model); });
  NoGradGuard no_grad;
  Logs logs;
  cbs.each([&](auto& c) { c.on_predict_begin(logs); });
  // Each batch's outputs are copied into one buffer per output, sized for `steps` batches like
  // the first and grown if a later one is larger: a replayed batch's outputs are overwritten
  // by the next replay, and holding every batch's tensors until one concatenation fragmented
  // the host heap (training after a long predict ran a third slower on the cpu backend).
  std::vector<Tensor> result(outputs);
  std::int64_t rows = 0;
  for (std::int64_t step = 0; step < steps; ++step) {
    Logs batch_logs;
    cbs.each([&](auto& c) { c.on_predict_batch_begin(static_cast<int>(step), batch_logs); });
    const auto outs = predict_step(model, st, batches.get(static_cast<std::size_t>(step) % batches.size()));
    const std::int64_t n = outs.front().rank() ? outs.front().dim(0) : 0;
    for (std::size_t k = 0; k < outs.size(); ++k) {
      if (outs[k].rank() == 0 || outs[k].dim(0) != n) {
        throw ShapeError("predict: model '" + model.name() + "' output " + std::to_string(k) + " has shape " +
                         to_string(outs[k].shape()) + " for a batch of " + std::to_string(n) +
                         " rows; predict stacks outputs with the batch as their first axis");
      }
      if (!result[k].defined() || rows + n > result[k].dim(0)) {
        const std::int64_t capacity = std::max(rows + n, step == 0 ? n * steps : 2 * result[k].dim(0));
        std::vector<std::int64_t> dims(outs[k].shape().dims().begin(), outs[k].shape().dims().end());
        dims.front() = capacity;
        Tensor grown = Tensor::empty(Shape(dims), outs[k].dtype(), &outs[k].backend());
        if (rows > 0) grown.slice(0, rows).assign(result[k].slice(0, rows));
        result[k] = grown;
      }
      result[k].slice(rows, rows + n).assign(outs[k]);
    }
    rows += n;
    cbs.each([&](auto& c) { c.on_predict_batch_end(static_cast<int>(step), batch_logs); });
  }
  cbs.each([&](auto& c) { c.on_predict_end(logs); });
  for (auto& r : result) {
    if (r.dim(0) != rows) r = r.slice(0, rows);
  }
  return result;
}
}  // namespace

std::vector<Tensor> Model::predict(const std::vector<Tensor>& x, PredictOptions o) {
  auto& st = state();
  build_for_inputs(x);
  Arrays data{x, {}, {}};
  check_arrays(st, data, "predict");
  const std::int64_t batch_size = o.batch_size.value_or(32);
  if (batch_size < 1) throw ValueError("predict: batch_size must be positive");
  ArraySequence batches(data, batch_size, false);
  return predict_batches(*this, st, st.outputs.size(), batches,
                         o.steps.value_or(static_cast<std::int64_t>(batches.size())), o);
}

Tensor Model::predict(utils::Sequence& data, PredictOptions o) {
  auto& st = state();
  if (data.size() == 0) throw ValueError("predict: the data source has no batches");
  build_for_inputs(data.get(0).x);
  if (st.outputs.size() != 1) {
    throw ValueError("predict: model '" + name() + "' has " + std::to_string(st.outputs.size()) +
                     " outputs; predicting several outputs from a data source is not supported yet (predict "
                     "with a vector of input arrays instead)");
  }
  if (o.steps && *o.steps < 1) throw ValueError("predict: steps must be positive");
  return predict_batches(*this, st, 1, data, o.steps.value_or(static_cast<std::int64_t>(data.size())), o).front();
}

callbacks::Logs Model::train_on_batch(const Tensor& x, const Tensor& y, BatchOptions o) {
  auto& st = state();
  require_compiled(st, "train_on_batch");
  build_for_inputs({x});
  Arrays data{{x}, {y}, o.sample_weight};
  check_arrays(st, data, "train_on_batch");
  reset_metrics(st.training);  // Keras' reset_metrics=True
  const Tensor weights = apply_class_weight(y, o.sample_weight, o.class_weight);
  run_step(*this, st, utils::Batch{{x}, {y}, weights}, true);
  return current_logs(st.training);
}

callbacks::Logs Model::test_on_batch(const Tensor& x, const Tensor& y, BatchOptions o) {
  auto& st = state();
  require_compiled(st, "test_on_batch");
  if (!o.class_weight.empty()) {
    throw ValueError("test_on_batch takes no class_weight (as in Keras); weigh samples with sample_weight");
  }
  build_for_inputs({x});
  Arrays data{{x}, {y}, o.sample_weight};
  check_arrays(st, data, "test_on_batch");
  reset_metrics(st.training);
  run_step(*this, st, utils::Batch{{x}, {y}, o.sample_weight}, false);
  return current_logs(st.training);
}

Tensor Model::predict_on_batch(const Tensor& x) {
  NoGradGuard no_grad;
  return (*this)(x, false);
}

}  // namespace keras
