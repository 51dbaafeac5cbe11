#pragma once
// Keyword arguments of compile, fit, evaluate and predict, with Keras' names and defaults.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keras/callbacks/callback.hpp"
#include "keras/core/tensor.hpp"
#include "keras/losses/losses.hpp"
#include "keras/metrics/metrics.hpp"
#include "keras/optimizers/optimizer.hpp"

namespace keras::utils {
class Sequence;
}

namespace keras {

// An optimizer given as Keras' string ("adam") or as an object.
class OptimizerSpec {
 public:
  OptimizerSpec(const char* name);                   // NOLINT: strings as in Keras
  OptimizerSpec(const std::string& name);            // NOLINT
  OptimizerSpec(optimizers::OptimizerPtr optimizer); // NOLINT
  const optimizers::OptimizerPtr& get() const { return optimizer_; }

 private:
  optimizers::OptimizerPtr optimizer_;
};

// A loss: a string, an object, or one per output ({"mse", "sparse_categorical_crossentropy"}).
class LossSpec {
 public:
  LossSpec() = default;
  LossSpec(const char* name);                          // NOLINT
  LossSpec(const std::string& name);                   // NOLINT
  LossSpec(losses::LossPtr loss);                      // NOLINT
  LossSpec(std::initializer_list<LossSpec> per_output);
  const std::vector<losses::LossPtr>& get() const { return losses_; }

 private:
  std::vector<losses::LossPtr> losses_;
};

// A metric: a string ("accuracy") or an object.
class MetricSpec {
 public:
  MetricSpec(const char* name) : name_(name) {}                // NOLINT
  MetricSpec(std::string name) : name_(std::move(name)) {}     // NOLINT
  MetricSpec(metrics::MetricPtr metric) : metric_(std::move(metric)) {}  // NOLINT
  // A fresh metric object (strings make a new one per output).
  metrics::MetricPtr make() const { return metric_ ? metric_ : metrics::get(name_); }
  bool is_object() const { return metric_ != nullptr; }

 private:
  std::string name_;
  metrics::MetricPtr metric_;
};

// compile's jit_compile: true, false or "auto" (Keras' default). There is no XLA here: a
// compiled step is the training step's forward and backward pass recorded once on a backend
// that can replay work (a CUDA graph) and replayed for each batch of the same shapes
// (docs/decisions.md, "jit_compile"). true and "auto" both record where the backend can;
// false always runs the step op by op.
class JitCompile {
 public:
  JitCompile(bool enabled) : enabled_(enabled) {}  // NOLINT
  JitCompile(const char* mode);                    // NOLINT: "auto"
  bool enabled() const { return enabled_; }

 private:
  bool enabled_ = true;
};

struct CompileOptions {
  OptimizerSpec optimizer = "rmsprop";
  LossSpec loss{};
  std::vector<MetricSpec> metrics{};
  std::vector<double> loss_weights{};  // one per output; default 1
  // Batches run per call of the step function (Keras 3): the batch callbacks and the logs they
  // read come once per that many batches, so a device runs them without a host round trip.
  int steps_per_execution = 1;
  JitCompile jit_compile = "auto";
};

// 0 silent, 1 progress bar, 2 one line per epoch, "auto" = 1 on a terminal, 2 otherwise.
class Verbosity {
 public:
  Verbosity(int level) : level_(level) {}  // NOLINT
  Verbosity(const char* mode);             // NOLINT: "auto"
  int resolve() const;

 private:
  int level_ = -1;  // -1: auto
};

// fit's validation data: arrays, or a data source (a Sequence, an ImageDataGenerator flow), as
// Keras takes a generator. A source is not owned: it must outlive the fit call.
struct ValidationData {
  ValidationData(Tensor x, Tensor y, Tensor sample_weight = {})
      : x{std::move(x)}, y{std::move(y)}, sample_weight(std::move(sample_weight)) {}
  ValidationData(std::vector<Tensor> x, std::vector<Tensor> y, Tensor sample_weight = {})
      : x(std::move(x)), y(std::move(y)), sample_weight(std::move(sample_weight)) {}
  ValidationData(utils::Sequence& source) : sequence(&source) {}  // NOLINT: implicit, as Keras takes one
  std::vector<Tensor> x, y;
  Tensor sample_weight;
  utils::Sequence* sequence = nullptr;
};

// Designated initializers must follow this order: Keras' argument order, except that the
// validation arguments come before callbacks, as DESIGN.md's example writes them.
struct FitOptions {
  std::optional<std::int64_t> batch_size{};  // 32 for arrays
  int epochs = 1;
  Verbosity verbose = "auto";
  double validation_split = 0.0;  // the last fraction, taken before shuffling
  std::optional<ValidationData> validation_data{};
  std::vector<callbacks::CallbackPtr> callbacks{};
  bool shuffle = true;
  std::map<int, double> class_weight{};
  Tensor sample_weight{};
  int initial_epoch = 0;
  std::optional<std::int64_t> steps_per_epoch{};
  std::optional<std::int64_t> validation_steps{};
  std::optional<std::int64_t> validation_batch_size{};
  int validation_freq = 1;
  // Batches of a data source (a Sequence, an ImageDataGenerator flow) computed ahead on this
  // many threads, at most max_queue_size waiting (Keras 2's fit arguments; ignored for arrays,
  // as there). 1: batches are made in the training loop itself.
  int max_queue_size = 10;
  int workers = 1;
};

struct EvaluateOptions {
  std::optional<std::int64_t> batch_size{};
  Verbosity verbose = "auto";
  Tensor sample_weight{};
  std::optional<std::int64_t> steps{};
  std::vector<callbacks::CallbackPtr> callbacks{};
};

struct PredictOptions {
  std::optional<std::int64_t> batch_size{};
  Verbosity verbose = "auto";
  std::optional<std::int64_t> steps{};
  std::vector<callbacks::CallbackPtr> callbacks{};
};

struct BatchOptions {
  Tensor sample_weight{};
  std::map<int, double> class_weight{};
};

}  // namespace keras
