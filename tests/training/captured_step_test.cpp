// compile(jit_compile): the training and test steps recorded once and replayed (a CUDA graph on
// the cuda backend; the emulated device records its queued kernels the same way). A replayed step must
// give exactly the weights, optimizer state, step count and logs of the step run op by op (the
// optimizer's per-step scalars and the host counts redone per replay), draw its dropout masks
// anew each step as the op-by-op step does, fall back on a new shape, to the pass alone for an
// update or metric that cannot be recorded, and to op by op for a pass that cannot, and still
// raise the deferred label checks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "keras/internal/default_backend_scope.hpp"
#include "keras/keras.hpp"
#include "support/active_backend.hpp"
#include "support/active_policy.hpp"
#include "support/emulated_device_backend.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::ActiveBackend;

namespace {

struct Data {
  Tensor x, y;
};
Data make_data(std::int64_t n, std::int32_t bad_label_at = -1) {
  std::vector<float> x(static_cast<std::size_t>(n * 6 * 6 * 2));
  std::vector<std::int32_t> y(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 13) / 13.0f - 0.4f;
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<std::int32_t>((i * 7) % 3);
  if (bad_label_at >= 0) y[static_cast<std::size_t>(bad_label_at)] = 7;
  return {Tensor::from_vector(x, {n, 6, 6, 2}), Tensor::from_vector(y, {n})};
}

// The step's optimizer, metrics and data; Adam, two accuracies and make_data unless a test
// says otherwise.
struct StepSetup {
  std::function<optimizers::OptimizerPtr()> optimizer = [] { return optimizers::Adam({.learning_rate = 0.01}); };
  std::function<std::vector<MetricSpec>()> metrics = [] {
    return std::vector<MetricSpec>{"accuracy", metrics::SparseTopKCategoricalAccuracy({.k = 2})};
  };
  std::function<Data(std::int64_t)> data = [](std::int64_t n) { return make_data(n); };
};

// Convolution, batch normalization (moving statistics updated inside the step), dropout (a
// seed drawn per step), an L2 penalty and two metrics.
Sequential make_model(bool jit_compile, std::function<Tensor(const Tensor&)> extra = {}, const StepSetup& setup = {}) {
  Sequential model({Input({6, 6, 2}),
                    Conv2D(4, 3, {.padding = "same", .activation = "relu",
                                  .kernel_regularizer = regularizers::L2(1e-3f)}),
                    BatchNormalization(), Dropout(0.3)});
  if (extra) model.add(Lambda(extra));
  model.add(Flatten());
  model.add(Dense(3, {.activation = "softmax"}));
  model.compile({.optimizer = setup.optimizer(),
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = setup.metrics(),
                 .jit_compile = jit_compile});
  return model;
}

struct Run {
  std::vector<std::vector<float>> weights;
  std::vector<double> losses;
  callbacks::History history;
  std::int64_t iterations = 0;
  std::vector<std::vector<float>> optimizer_state;
  double loss_scale = 0.0;  // under mixed_float16
  testing::EmulatedCaptureCounts counts;
};

// fit on `samples` samples in batches of 8 (a last partial batch unless a multiple of 8).
Run train(bool jit_compile, std::int64_t samples, int epochs, std::function<Tensor(const Tensor&)> extra = {},
          const StepSetup& setup = {}, FitOptions options = {}) {
  Backend& device = backend::get();
  utils::set_random_seed(11);
  Sequential model = make_model(jit_compile, std::move(extra), setup);
  const Data d = setup.data(samples);
  const bool emulated = device.device().kind == DeviceKind::emulated;
  const auto before = emulated ? testing::emulated_device_capture_counts(device) : testing::EmulatedCaptureCounts{};
  options.batch_size = 8;
  options.epochs = epochs;
  options.verbose = 0;
  const auto history = model.fit(d.x, d.y, options);
  Run run;
  for (const auto& v : model.weights()) run.weights.push_back(v->value().to_vector<float>());
  run.losses = history.history.at("loss");
  run.history = history;
  run.iterations = model.optimizer()->iterations();
  for (const auto& slot : optimizers::saved_optimizer(*model.optimizer()).variables()) {
    run.optimizer_state.push_back(slot.to_vector<float>());
  }
  if (const auto* scaled = dynamic_cast<const optimizers::LossScaleOptimizer*>(model.optimizer().get())) {
    run.loss_scale = scaled->dynamic_scale();
  }
  if (emulated) {
    const auto after = testing::emulated_device_capture_counts(device);
    run.counts = {after.captures - before.captures, after.replays - before.replays, after.enqueued - before.enqueued};
  }
  return run;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("a replayed training step gives bit for bit the weights of the step run op by op") {
  ActiveBackend device("emulated_device");
  // 20 samples: batches of 8, 8 and 4 per epoch.
  const Run eager = train(false, 20, 3);
  const Run replayed = train(true, 20, 3);
  CHECK(eager.counts.captures == 0);
  // Epoch 1: op by op, then recorded (and run as its first replay); the partial batch op by op;
  // later epochs replay both full batches and run the partial one op by op.
  CHECK(replayed.counts.captures == 1);
  CHECK(replayed.counts.replays == 5);
  REQUIRE(eager.weights.size() == replayed.weights.size());
  for (std::size_t i = 0; i < eager.weights.size(); ++i) {
    CAPTURE(i);
    CHECK(bitwise_equal(eager.weights[i], replayed.weights[i]));
  }
  // The op-by-op step draws a new dropout mask every step, so a replay that kept the recorded
  // step's mask could not match it.
  CHECK(eager.losses == replayed.losses);
}

TEST_CASE("freezing a layer and compiling again records the step anew, still matching op by op") {
  ActiveBackend device("emulated_device");
  std::vector<std::vector<std::vector<float>>> weights;
  std::vector<std::uint64_t> captures;
  for (const bool jit : {false, true}) {
    utils::set_random_seed(11);
    Sequential model = make_model(jit);
    const Data d = make_data(16);
    const auto before = testing::emulated_device_capture_counts(backend::get());
    model.fit(d.x, d.y, {.batch_size = 8, .epochs = 2, .verbose = 0});
    model.layers().front()->trainable = false;  // the convolution: fewer gradients
    model.compile({.optimizer = optimizers::Adam({.learning_rate = 0.01}),  // as Keras needs after that
                   .loss = "sparse_categorical_crossentropy",
                   .jit_compile = jit});
    model.fit(d.x, d.y, {.batch_size = 8, .epochs = 2, .verbose = 0});
    captures.push_back(testing::emulated_device_capture_counts(backend::get()).captures - before.captures);
    weights.emplace_back();
    for (const auto& v : model.weights()) weights.back().push_back(v->value().to_vector<float>());
  }
  CHECK(captures[0] == 0);
  CHECK(captures[1] == 2);
  REQUIRE(weights[0].size() == weights[1].size());
  for (std::size_t i = 0; i < weights[0].size(); ++i) {
    CAPTURE(i);
    CHECK(bitwise_equal(weights[0][i], weights[1][i]));
  }
}

TEST_CASE("a replayed test step gives evaluate's figures exactly") {
  ActiveBackend device("emulated_device");
  const Data d = make_data(40);
  std::vector<callbacks::Logs> logs;
  std::vector<testing::EmulatedCaptureCounts> counts;
  for (const bool jit : {false, true}) {
    utils::set_random_seed(3);
    Sequential model = make_model(jit);
    const auto before = testing::emulated_device_capture_counts(backend::get());
    logs.push_back(model.evaluate(d.x, d.y, {.batch_size = 8, .verbose = 0}));
    const auto after = testing::emulated_device_capture_counts(backend::get());
    counts.push_back({after.captures - before.captures, after.replays - before.replays, 0});
  }
  CHECK(logs[0] == logs[1]);
  CHECK(counts[0].captures == 0);
  CHECK(counts[1].captures == 1);  // five batches: op by op, recorded, then three replays
  CHECK(counts[1].replays == 4);
}

TEST_CASE("a replayed training step puts a few calls on the device queue instead of one per op") {
  ActiveBackend device("emulated_device");
  // 4 epochs of 16 full batches: all but the first two steps replay (one recording).
  const Run eager = train(false, 128, 4);
  const Run replayed = train(true, 128, 4);
  const double per_step_eager = static_cast<double>(eager.counts.enqueued) / 64.0;
  const double per_step_replayed = static_cast<double>(replayed.counts.enqueued) / 64.0;
  MESSAGE("device queue calls per training step: op by op " << per_step_eager << ", replayed " << per_step_replayed);
  CHECK(replayed.counts.replays == 63);
  // What remains per step: the shuffled batch's gathers and copies, one upload of the seeds
  // and per-step scalars, the replay (the optimizer update, the trackers and the metrics are
  // in it).
  CHECK(per_step_replayed < per_step_eager / 5);
}

namespace {
// Both runs' weights, optimizer state, step count and every logged figure, bit for bit.
void check_same_training(const Run& eager, const Run& replayed) {
  REQUIRE(eager.weights.size() == replayed.weights.size());
  for (std::size_t i = 0; i < eager.weights.size(); ++i) {
    CAPTURE(i);
    CHECK(bitwise_equal(eager.weights[i], replayed.weights[i]));
  }
  REQUIRE(eager.optimizer_state.size() == replayed.optimizer_state.size());
  for (std::size_t i = 0; i < eager.optimizer_state.size(); ++i) {
    CAPTURE(i);
    CHECK(bitwise_equal(eager.optimizer_state[i], replayed.optimizer_state[i]));
  }
  CHECK(eager.iterations == replayed.iterations);
  CHECK(eager.loss_scale == replayed.loss_scale);
  REQUIRE(eager.history.history.size() == replayed.history.history.size());
  for (const auto& [name, values] : eager.history.history) {  // bit for bit, so that NaN equals NaN
    CAPTURE(name);
    const auto& other = replayed.history.history.at(name);
    CHECK((values.size() == other.size() &&
           std::memcmp(values.data(), other.data(), values.size() * sizeof(double)) == 0));
  }
}

// For 40 samples (5 batches of 8, not shuffled): the last batch holds a NaN, so under loss
// scaling its gradients are not finite and the step is skipped, every epoch.
StepSetup nan_in_last_batch(std::function<optimizers::OptimizerPtr()> optimizer) {
  StepSetup setup;
  setup.optimizer = std::move(optimizer);
  setup.data = [](std::int64_t n) {
    Data d = make_data(n);
    std::vector<float> x = d.x.to_vector<float>();
    x[33 * 6 * 6 * 2 + 5] = std::numeric_limits<float>::quiet_NaN();  // sample 33
    d.x = Tensor::from_vector(x, d.x.shape());
    return d;
  };
  return setup;
}
}  // namespace

TEST_CASE("the whole step replayed: AdamW on a schedule, weight decay, clipping, weighted metrics and validation") {
  ActiveBackend device("emulated_device");
  StepSetup setup;
  setup.optimizer = [] {
    return optimizers::AdamW({.learning_rate = optimizers::schedules::ExponentialDecay(0.01, 2, 0.8),
                              .weight_decay = 0.05,
                              .common = {.global_clipnorm = 0.5}});
  };
  const Data val = make_data(16);
  std::vector<float> weights(20);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 0.25f + static_cast<float>(i % 4);
  FitOptions options;
  options.sample_weight = Tensor::from_vector(weights, {20});
  options.validation_data = ValidationData{val.x, val.y};
  const Run eager = train(false, 20, 4, {}, setup, options);
  const Run replayed = train(true, 20, 4, {}, setup, options);
  check_same_training(eager, replayed);
  CHECK(eager.iterations == 12);
  CHECK(eager.history.history.count("val_accuracy") == 1);
  // One recording of the training step (8 full batches: all but the first replayed; the
  // partial ones op by op) and one of the test step (8 batches of validation, likewise).
  CHECK(replayed.counts.captures == 2);
  CHECK(replayed.counts.replays == 7 + 7);
}

TEST_CASE("the whole step replayed: SGD with Nesterov momentum under a LearningRateScheduler callback") {
  ActiveBackend device("emulated_device");
  StepSetup setup;
  setup.optimizer = [] { return optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}); };
  FitOptions options;
  // A new learning rate each epoch, set on the host between replays.
  options.callbacks = {callbacks::LearningRateScheduler([](int epoch, double lr) { return epoch ? lr * 0.5 : lr; })};
  const Run eager = train(false, 24, 3, {}, setup, options);
  const Run replayed = train(true, 24, 3, {}, setup, options);
  check_same_training(eager, replayed);
  CHECK(replayed.counts.captures == 1);
  CHECK(replayed.counts.replays == 8);
}

TEST_CASE("the whole step replayed under mixed_float16: loss scaling skips a non-finite step on the device") {
  ActiveBackend device("emulated_device");
  const test_support::ActivePolicy policy("mixed_float16");
  struct Case {
    std::function<optimizers::OptimizerPtr()> inner;
    std::int64_t steps_counted;
    double halvings;
    std::uint64_t captures, replays;
  };
  // With Adam, 6 of the 10 steps are skipped: float16 overflows at Keras' initial scale (2^15)
  // until the scale is 2^10, and the NaN's step (the last) each epoch, the very last one in a
  // replay, so a skipped replay that changed any slot would show. Epoch 1: the first step op
  // by op; the second recorded and skipped in its replay (only the device knew); the rest op
  // by op (a new scale each: skipped). Epoch 2: op by op (a new scale); the second recorded
  // and skipped in its replay; the third op by op; the fourth recorded; the last replayed.
  const std::vector<Case> cases{
      {[] { return optimizers::Adam({.learning_rate = 0.01}); }, 4, 6, 3, 4},
      {[] { return optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9, .common = {.weight_decay = 0.01}}); },
       4, 6, 3, 4},
      {[] { return optimizers::RMSprop({.learning_rate = 0.01, .momentum = 0.5}); }, 4, 6, 3, 4},
      {[] { return optimizers::Nadam({.learning_rate = 0.01}); }, 4, 6, 3, 4},
  };
  for (std::size_t k = 0; k < cases.size(); ++k) {
    CAPTURE(k);
    const StepSetup setup = nan_in_last_batch(cases[k].inner);
    FitOptions options;
    options.shuffle = false;
    const Run eager = train(false, 40, 2, {}, setup, options);
    const Run replayed = train(true, 40, 2, {}, setup, options);
    check_same_training(eager, replayed);
    CHECK(eager.iterations == cases[k].steps_counted);
    CHECK(eager.loss_scale == 32768.0 / std::pow(2.0, cases[k].halvings));
    CHECK(replayed.counts.captures == cases[k].captures);
    CHECK(replayed.counts.replays == cases[k].replays);
  }
}

TEST_CASE("the whole step replayed: RMSprop, Adagrad and Nadam") {
  ActiveBackend device("emulated_device");
  const std::vector<std::function<optimizers::OptimizerPtr()>> optimizers_to_try{
      [] { return optimizers::RMSprop({.learning_rate = 0.01, .momentum = 0.5, .centered = true}); },
      [] { return optimizers::RMSprop({.learning_rate = optimizers::schedules::ExponentialDecay(0.01, 2, 0.8)}); },
      [] { return optimizers::Adagrad({.learning_rate = 0.05, .common = {.weight_decay = 0.01}}); },
      [] { return optimizers::Nadam({.learning_rate = 0.01}); },
  };
  for (std::size_t k = 0; k < optimizers_to_try.size(); ++k) {
    CAPTURE(k);
    StepSetup setup;
    setup.optimizer = optimizers_to_try[k];
    const Run eager = train(false, 64, 2, {}, setup);
    const Run replayed = train(true, 64, 2, {}, setup);
    check_same_training(eager, replayed);
    CHECK(replayed.counts.captures == 1);
    CHECK(replayed.counts.replays == 15);
  }
}

namespace {
// An optimizer written as a user would, with ops: its update is not recordable (the default
// records_update), so the pass is recorded alone.
class OpsSGD final : public optimizers::Optimizer {
 public:
  OpsSGD() : Optimizer("OpsSGD", 0.05, {}) {}
  std::vector<std::pair<std::string, double>> hyperparameters() const override { return {}; }

 protected:
  void build(const std::vector<VariablePtr>&) override {}
  void update_step(const Tensor& g, Variable& var, std::size_t, double lr) override {
    var.assign(ops::subtract(var.value(), g * static_cast<float>(lr)));
  }
};
}  // namespace

TEST_CASE("an optimizer whose update cannot be recorded has the pass recorded alone") {
  ActiveBackend device("emulated_device");
  StepSetup setup;
  setup.optimizer = [] { return std::make_shared<OpsSGD>(); };
  const Run eager = train(false, 128, 2, {}, setup);
  const Run replayed = train(true, 128, 2, {}, setup);
  check_same_training(eager, replayed);
  CHECK(replayed.counts.captures == 1);
  CHECK(replayed.counts.replays == 31);
  // The update (a few ops per variable), the trackers and the metrics still run op by op.
  CHECK(replayed.counts.enqueued > 32 * 20);
}

TEST_CASE("cuda backend: a training step replayed from a CUDA graph matches the step run op by op") {
  const auto names = backend::available();
  if (std::find(names.begin(), names.end(), "cuda") == names.end()) {
    MESSAGE("SKIPPED CUDA graph replay: no usable cuda backend here (needs a GPU)");
    return;
  }
  ActiveBackend device("cuda");
  // The same kernels and cuDNN algorithms in the same order; cuDNN's backward-filter
  // algorithms may sum in a different order from run to run, hence a tolerance.
  const auto check_close = [](const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CAPTURE(i);
      REQUIRE(a[i].size() == b[i].size());
      for (std::size_t j = 0; j < a[i].size(); ++j) CHECK(b[i][j] == doctest::Approx(a[i][j]).epsilon(1e-4).scale(1.0));
    }
  };
  // The whole step in the graph (Adam's grouped update reading its step size from the table).
  const Run eager = train(false, 20, 3);
  const Run replayed = train(true, 20, 3);
  check_close(eager.weights, replayed.weights);
  check_close(eager.optimizer_state, replayed.optimizer_state);
  CHECK(eager.iterations == replayed.iterations);
  // SGD under a learning-rate callback, with weight decay: per-step scalars.
  StepSetup setup;
  setup.optimizer = [] {
    return optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9, .common = {.weight_decay = 0.01}});
  };
  FitOptions options;
  options.callbacks = {callbacks::LearningRateScheduler([](int epoch, double lr) { return epoch ? lr * 0.5 : lr; })};
  check_close(train(false, 24, 3, {}, setup, options).weights, train(true, 24, 3, {}, setup, options).weights);
  // predict replayed.
  const Data d = make_data(44);
  std::vector<std::vector<float>> predictions;
  for (const bool jit : {false, true}) {
    utils::set_random_seed(3);
    predictions.push_back(make_model(jit).predict(d.x, {.batch_size = 8, .verbose = 0}).to_vector<float>());
  }
  check_close({predictions[0]}, {predictions[1]});
  // mixed_float16: the step with a NaN skipped by the gated update in the graph.
  const test_support::ActivePolicy policy("mixed_float16");
  const StepSetup scaled = nan_in_last_batch([] { return optimizers::Adam({.learning_rate = 0.01}); });
  FitOptions unshuffled;
  unshuffled.shuffle = false;
  const Run scaled_eager = train(false, 40, 2, {}, scaled, unshuffled);
  const Run scaled_replayed = train(true, 40, 2, {}, scaled, unshuffled);
  check_close(scaled_eager.weights, scaled_replayed.weights);
  check_close(scaled_eager.optimizer_state, scaled_replayed.optimizer_state);
  CHECK(scaled_eager.iterations == scaled_replayed.iterations);
  CHECK(scaled_eager.loss_scale == scaled_replayed.loss_scale);
}

TEST_CASE("a step that reads a value on the host is not recorded and runs op by op") {
  ActiveBackend device("emulated_device");
  auto host_read = [](const Tensor& x) {
    if (!std::isfinite(ops::sum(x).item<float>())) throw ValueError("non-finite activations");  // a read in the step
    return x;
  };
  const Run eager = train(false, 16, 2, host_read);
  const Run fallback = train(true, 16, 2, host_read);
  CHECK(fallback.counts.captures == 1);  // tried once, never again
  CHECK(fallback.counts.replays == 0);
  REQUIRE(eager.weights.size() == fallback.weights.size());
  // The failed recording drew the step's dropout seed, so the masks differ from here on:
  // the run is a valid one, not the op-by-op run's twin.
  for (const auto& w : fallback.weights) {
    for (float v : w) CHECK(std::isfinite(v));
  }
}

// Batches in order from arrays: a data source is not checked up front as arrays are, so
// the label check left to the device is what finds a bad label.
class Batches final : public utils::Sequence {
 public:
  explicit Batches(Data d) : d_(std::move(d)) {}
  std::size_t size() const override { return static_cast<std::size_t>(d_.x.dim(0) / 8); }
  utils::Batch get(std::size_t i) override {
    const auto at = static_cast<std::int64_t>(i) * 8;
    return {{d_.x.slice(at, at + 8)}, {d_.y.slice(at, at + 8)}, {}};
  }

 private:
  Data d_;
};

TEST_CASE("a step that draws random numbers on another backend is not recorded") {
  ActiveBackend device("emulated_device");
  // Noise made on the host and uploaded: a recording would upload the same noise every step.
  auto host_noise = [](const Tensor& x) {
    Tensor noise;
    {
      const keras::internal::DefaultBackendScope on_host(backend::host());
      noise = random::uniform({1}, {.minval = 0.0f, .maxval = 1e-3f});
    }
    return ops::add(x, noise.clone(&x.backend()));
  };
  const Run run = train(true, 16, 2, host_noise);
  CHECK(run.counts.captures == 1);  // tried once, never again
  CHECK(run.counts.replays == 0);
}

TEST_CASE("a bad label in a replayed step still raises the label check") {
  ActiveBackend device("emulated_device");
  utils::set_random_seed(5);
  Sequential model = make_model(true);
  Batches batches(make_data(40, 37));  // a label 7 for 3 classes in the fifth batch, replayed
  const auto before = testing::emulated_device_capture_counts(backend::get());
  CHECK_THROWS_WITH_AS(model.fit(batches, {.epochs = 1, .verbose = 0}), doctest::Contains("outside [0, 3)"),
                       ValueError);
  CHECK(testing::emulated_device_capture_counts(backend::get()).replays >= before.replays + 4);
}

TEST_CASE("jit_compile takes true, false and \"auto\" as Keras does") {
  CHECK(JitCompile("auto").enabled());
  CHECK(JitCompile(true).enabled());
  CHECK_FALSE(JitCompile(false).enabled());
  CHECK_THROWS_AS(JitCompile("xla"), ValueError);
}

namespace {
// A metric that reads each batch's predictions on the host: it cannot be recorded.
class HostSumMetric final : public metrics::Metric {
 public:
  HostSumMetric() : Metric("host_sum") {}
  void update_state(const Tensor&, const Tensor& y_pred, const Tensor&) override {
    sum_ += static_cast<double>(ops::sum(y_pred).item<float>());
  }
  double result() const override { return sum_; }
  void reset_state() override { sum_ = 0.0; }

 private:
  double sum_ = 0.0;
};
}  // namespace

TEST_CASE("a metric that reads on the host has the pass recorded alone, and the step counted once") {
  ActiveBackend device("emulated_device");
  StepSetup setup;
  setup.metrics = [] {
    return std::vector<MetricSpec>{"accuracy", metrics::MetricPtr(std::make_shared<HostSumMetric>())};
  };
  const Run eager = train(false, 32, 2, {}, setup);
  const Run replayed = train(true, 32, 2, {}, setup);
  // Step 1 op by op; step 2 tried whole (refused in the metric, before anything ran) and ran
  // op by op; step 3 recorded the pass alone, replayed from then on.
  CHECK(replayed.counts.captures == 2);
  CHECK(replayed.counts.replays == 6);
  // The refused recording's host bookkeeping was never done: no step counted twice, and every
  // batch's predictions (softmax rows summing to 1) counted once per epoch.
  CHECK(replayed.iterations == eager.iterations);
  for (const double sum : replayed.history.history.at("host_sum")) CHECK(sum == doctest::Approx(32.0).epsilon(1e-4));
}

TEST_CASE("a replayed predict gives exactly the predictions made op by op") {
  ActiveBackend device("emulated_device");
  const Data d = make_data(44);  // batches of 8: five full ones, then 4
  std::vector<std::vector<float>> predictions;
  std::vector<testing::EmulatedCaptureCounts> counts;
  for (const bool jit : {false, true}) {
    utils::set_random_seed(3);
    Sequential model = make_model(jit);
    const auto before = testing::emulated_device_capture_counts(backend::get());
    predictions.push_back(model.predict(d.x, {.batch_size = 8, .verbose = 0}).to_vector<float>());
    const auto after = testing::emulated_device_capture_counts(backend::get());
    counts.push_back({after.captures - before.captures, after.replays - before.replays, 0});
  }
  // Each batch's rows differ, so a replay whose outputs were not copied out would repeat the
  // last batch's predictions.
  CHECK(bitwise_equal(predictions[0], predictions[1]));
  CHECK(counts[0].captures == 0);
  CHECK(counts[1].captures == 1);  // op by op, recorded, three more replays, the partial batch op by op
  CHECK(counts[1].replays == 4);
}
