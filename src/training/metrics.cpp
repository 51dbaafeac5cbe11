// Keras' metrics as Keras computes them: each batch's scores are reduced on the backend and added
// to float32 accumulators there (Keras' metric variables); result() is the only host read.
#include "keras/metrics/metrics.hpp"

#include <functional>
#include <map>

#include "keras/core/autograd.hpp"
#include "keras/internal/capture_recording.hpp"
#include "keras/internal/name_lookup.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras::metrics {

namespace {

Tensor as_float(const Tensor& t) { return t.dtype() == float32 ? t : t.astype(float32); }

std::int64_t samples_of(const Tensor& t) { return t.rank() ? t.dim(0) : 1; }

// Adds `value` to the accumulator, in place (a recorded step writes the same memory at every
// replay), creating it on value's backend the first time.
void accumulate(Tensor& into, const Tensor& value) {
  if (into.defined()) {
    if (&into.backend() != &value.backend()) into = into.clone(&value.backend());  // the model moved
    into.assign(ops::add(into, value));
    return;
  }
  if (internal::CaptureRecording::active()) {  // the engine records a step only after running it once
    throw BackendError("a metric's accumulator would be created while a step is recorded");
  }
  into = value.clone();
}

// Zeroes an accumulator in place, keeping its memory (see accumulate).
void clear(Tensor& accumulator) {
  if (!accumulator.defined()) return;
  accumulator.backend().fill(internal::data<float>(accumulator), static_cast<std::size_t>(accumulator.size()), 0.0f);
}

double read(const Tensor& t) { return t.defined() ? static_cast<double>(t.item<float>()) : 0.0; }

// The sample weights as an (n,) float32 tensor on the predictions' backend, checked.
Tensor weights_of(const Tensor& sample_weight, std::int64_t n, const std::string& metric) {
  if (sample_weight.size() != n) {
    throw ShapeError(metric + ": sample_weight of shape " + to_string(sample_weight.shape()) + " for a batch of " +
                     std::to_string(n));
  }
  return ops::reshape(as_float(sample_weight), {n});
}

// Per-sample scores (n,) reduced from per-element scores: the mean over every axis but the first.
Tensor per_sample(const Tensor& scores) {
  if (scores.rank() <= 1) return scores;
  std::vector<int> axes;
  for (int a = 1; a < scores.rank(); ++a) axes.push_back(a);
  return ops::mean(scores, axes);
}

void require_samples(const Tensor& y_true, const Tensor& y_pred, const std::string& metric) {
  if (samples_of(y_true) != samples_of(y_pred)) {
    throw ShapeError(metric + ": " + std::to_string(samples_of(y_true)) + " targets for " +
                     std::to_string(samples_of(y_pred)) + " predictions");
  }
}

// Sparse labels of shape (n,) or (n, ..., 1) as float32 class ids shaped like argmax(y_pred).
Tensor sparse_ids(const Tensor& y_true, const Tensor& y_pred, const std::string& metric) {
  Shape want(std::vector<std::int64_t>(y_pred.shape().dims().begin(), y_pred.shape().dims().end() - 1));
  if (y_true.size() != want.num_elements()) {
    throw ShapeError(metric + ": labels of shape " + to_string(y_true.shape()) + " for predictions of shape " +
                     to_string(y_pred.shape()));
  }
  return ops::reshape(as_float(y_true), want);
}

// A weighted mean of per-sample scores: the total and the count live on the backend.
class MeanScore : public Metric {
 public:
  using Score = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred, const std::string& name)>;
  MeanScore(std::string name, Score score) : Metric(std::move(name)), score_(std::move(score)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    NoGradGuard no_grad;
    require_samples(y_true, y_pred, name());
    const std::int64_t n = samples_of(y_pred);
    const Tensor scores = per_sample(score_(y_true, as_float(y_pred), name()));
    if (sample_weight.defined()) {
      const Tensor w = weights_of(sample_weight, n, name());
      accumulate(total_, ops::sum(ops::multiply(ops::reshape(scores, {n}), w)));
      accumulate(count_, ops::sum(w));
    } else {
      accumulate(total_, ops::sum(scores));
      internal::every_step([this, n] { unweighted_ += static_cast<double>(n); });
    }
  }
  double result() const override {
    const double count = read(count_) + unweighted_;
    return count > 0 ? read(total_) / count : 0.0;
  }
  void reset_state() override {
    clear(total_);
    clear(count_);
    unweighted_ = 0.0;
  }

 private:
  Score score_;
  Tensor total_, count_;
  double unweighted_ = 0.0;  // samples counted without weights (known on the host)
};

Tensor sparse_hit(const Tensor& y_true, const Tensor& y_pred, const std::string& name) {
  return ops::equal(ops::argmax(y_pred, -1).astype(float32), sparse_ids(y_true, y_pred, name));
}
Tensor categorical_hit(const Tensor& y_true, const Tensor& y_pred, const std::string& name) {
  if (y_true.shape() != y_pred.shape()) {
    throw ShapeError(name + ": targets of shape " + to_string(y_true.shape()) + " for predictions of shape " +
                     to_string(y_pred.shape()));
  }
  return ops::equal(ops::argmax(y_pred, -1).astype(float32), ops::argmax(as_float(y_true), -1).astype(float32));
}
// The true class is in the top k when fewer than k classes score strictly higher.
Tensor in_top_k(const Tensor& y_pred, const Tensor& ids, int k) {
  const std::int64_t classes = y_pred.dim(-1);
  const Tensor true_score = ops::sum(ops::multiply(ops::one_hot(ids.astype(int32), classes), y_pred), {-1}, true);
  const Tensor higher = ops::sum(ops::greater(y_pred, true_score), {-1});
  return ops::greater(Tensor::scalar(static_cast<float>(k), &y_pred.backend()), higher);
}

// Weighted counts of a binary confusion at each threshold, on the backend: (thresholds,) each.
class ThresholdCounts : public Metric {
 public:
  struct Counts {
    std::vector<double> tp, fp, tn, fn;
  };
  ThresholdCounts(std::string name, std::vector<double> thresholds, std::function<double(const Counts&)> reduce)
      : Metric(std::move(name)), thresholds_(std::move(thresholds)), reduce_(std::move(reduce)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    NoGradGuard no_grad;
    if (y_true.size() != y_pred.size()) {
      throw ShapeError(name() + ": targets of shape " + to_string(y_true.shape()) + " for predictions of shape " +
                       to_string(y_pred.shape()));
    }
    const std::int64_t n = samples_of(y_pred), elements = y_pred.size();
    Backend& be = y_pred.backend();
    const Tensor p = ops::reshape(as_float(y_pred), {elements, 1});
    const Tensor positive = ops::greater(ops::reshape(as_float(y_true), {elements, 1}), Tensor::scalar(0.5f, &be));
    std::vector<float> t(thresholds_.begin(), thresholds_.end());
    const Tensor predicted =
        ops::greater(p, Tensor::from_vector(t, {1, static_cast<std::int64_t>(t.size())}, &be));  // (elements, T)
    Tensor w = Tensor::ones({elements, 1}, float32, &be);
    if (sample_weight.defined()) {  // each sample's weight on each of its elements
      const Tensor per = weights_of(sample_weight, n, name());
      w = ops::reshape(ops::multiply(ops::reshape(per, {n, 1}), Tensor::ones({n, n ? elements / n : 1}, float32, &be)),
                       {elements, 1});
    }
    const Tensor pos_w = ops::multiply(positive, w), neg_w = ops::subtract(w, pos_w);
    const Tensor tp = ops::sum(ops::multiply(predicted, pos_w), {0}), fp = ops::sum(ops::multiply(predicted, neg_w), {0});
    accumulate(tp_, tp);
    accumulate(fp_, fp);
    accumulate(fn_, ops::subtract(ops::sum(pos_w, {0}), tp));
    accumulate(tn_, ops::subtract(ops::sum(neg_w, {0}), fp));
  }
  double result() const override {
    const auto host = [&](const Tensor& c) {
      if (!c.defined()) return std::vector<double>(thresholds_.size(), 0.0);
      const auto v = c.to_vector<float>();
      return std::vector<double>(v.begin(), v.end());
    };
    return reduce_({host(tp_), host(fp_), host(tn_), host(fn_)});
  }
  void reset_state() override {
    for (Tensor* c : {&tp_, &fp_, &tn_, &fn_}) clear(*c);
  }

 private:
  std::vector<double> thresholds_;
  std::function<double(const Counts&)> reduce_;
  Tensor tp_, fp_, tn_, fn_;
};

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

std::string or_default(const std::string& name, const char* fallback) { return name.empty() ? fallback : name; }

// Picks the accuracy Keras would for these shapes on the first batch.
class AutoAccuracy final : public Metric {
 public:
  explicit AutoAccuracy(std::string name) : Metric(std::move(name)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    if (!chosen_) {
      const std::int64_t classes = y_pred.rank() ? y_pred.dim(-1) : 1;
      const bool sparse = y_true.rank() < y_pred.rank() || (classes > 1 && y_true.dim(-1) == 1);
      chosen_ = classes == 1 ? BinaryAccuracy({.name = name()})
                : sparse     ? SparseCategoricalAccuracy({.name = name()})
                             : CategoricalAccuracy({.name = name()});
    }
    chosen_->update_state(y_true, y_pred, sample_weight);
  }
  double result() const override { return chosen_ ? chosen_->result() : 0.0; }
  void reset_state() override {
    if (chosen_) chosen_->reset_state();
  }

 private:
  MetricPtr chosen_;
};

}  // namespace

void Mean::update(const Tensor& value, double weight) {
  NoGradGuard no_grad;
  accumulate(total_, weight == 1.0 ? as_float(value) : ops::affine(as_float(value), static_cast<float>(weight), 0.0f));
  internal::every_step([this, weight] { host_count_ += weight; });
}

void Mean::update_state(const Tensor&, const Tensor& values, const Tensor& sample_weight) {
  NoGradGuard no_grad;
  const Tensor v = ops::reshape(as_float(values), {values.size()});
  if (sample_weight.defined()) {
    const Tensor w = weights_of(sample_weight, values.size(), name());
    accumulate(total_, ops::sum(ops::multiply(v, w)));
    accumulate(count_, ops::sum(w));
  } else {
    accumulate(total_, ops::sum(v));
    internal::every_step([this, count = static_cast<double>(values.size())] { host_count_ += count; });
  }
}

double Mean::result() const {
  const double count = read(count_) + host_count_;
  return count > 0 ? read(total_) / count : 0.0;
}

void Mean::reset_state() {
  clear(total_);
  clear(count_);
  host_count_ = 0.0;
}

MetricPtr Accuracy(NameOption o) { return std::make_shared<AutoAccuracy>(or_default(o.name, "accuracy")); }
MetricPtr SparseCategoricalAccuracy(NameOption o) {
  return std::make_shared<MeanScore>(or_default(o.name, "sparse_categorical_accuracy"), sparse_hit);
}
MetricPtr CategoricalAccuracy(NameOption o) {
  return std::make_shared<MeanScore>(or_default(o.name, "categorical_accuracy"), categorical_hit);
}
MetricPtr BinaryAccuracy(ThresholdOptions o) {
  return std::make_shared<MeanScore>(
      or_default(o.name, "binary_accuracy"), [t = o.threshold](const Tensor& y, const Tensor& p, const std::string& name) {
        if (y.size() != p.size()) {
          throw ShapeError(name + ": targets of shape " + to_string(y.shape()) + " for predictions of shape " +
                           to_string(p.shape()));
        }
        Backend& be = p.backend();
        const Tensor predicted = ops::greater(p, Tensor::scalar(t, &be));
        const Tensor truth = ops::greater(ops::reshape(as_float(y), p.shape()), Tensor::scalar(0.5f, &be));
        return ops::equal(predicted, truth);
      });
}
MetricPtr SparseTopKCategoricalAccuracy(TopKOptions o) {
  return std::make_shared<MeanScore>(or_default(o.name, "sparse_top_k_categorical_accuracy"),
                                     [k = o.k](const Tensor& y, const Tensor& p, const std::string& name) {
                                       return in_top_k(p, sparse_ids(y, p, name), k);
                                     });
}
MetricPtr TopKCategoricalAccuracy(TopKOptions o) {
  return std::make_shared<MeanScore>(or_default(o.name, "top_k_categorical_accuracy"),
                                     [k = o.k](const Tensor& y, const Tensor& p, const std::string& name) {
                                       if (y.shape() != p.shape()) {
                                         throw ShapeError(name + ": targets of shape " + to_string(y.shape()) +
                                                          " for predictions of shape " + to_string(p.shape()));
                                       }
                                       return in_top_k(p, ops::argmax(as_float(y), -1), k);
                                     });
}
MetricPtr Precision(ThresholdOptions o) {
  return std::make_shared<ThresholdCounts>(or_default(o.name, "precision"), std::vector<double>{o.threshold},
                                           [](const auto& c) { return ratio(c.tp[0], c.tp[0] + c.fp[0]); });
}
MetricPtr Recall(ThresholdOptions o) {
  return std::make_shared<ThresholdCounts>(or_default(o.name, "recall"), std::vector<double>{o.threshold},
                                           [](const auto& c) { return ratio(c.tp[0], c.tp[0] + c.fn[0]); });
}
MetricPtr AUC(AUCOptions o) {
  if (o.num_thresholds < 2) throw ValueError("AUC: num_thresholds must be at least 2");
  // Keras: -eps, the num_thresholds - 2 interior points i / (num_thresholds - 1), 1 + eps.
  std::vector<double> thresholds{-1e-7};
  for (int i = 1; i < o.num_thresholds - 1; ++i) thresholds.push_back(i / double(o.num_thresholds - 1));
  thresholds.push_back(1.0 + 1e-7);
  return std::make_shared<ThresholdCounts>(or_default(o.name, "auc"), thresholds, [](const auto& c) {
    double area = 0.0;
    for (std::size_t i = 0; i + 1 < c.tp.size(); ++i) {
      const double fpr0 = ratio(c.fp[i], c.fp[i] + c.tn[i]), fpr1 = ratio(c.fp[i + 1], c.fp[i + 1] + c.tn[i + 1]);
      const double tpr0 = ratio(c.tp[i], c.tp[i] + c.fn[i]), tpr1 = ratio(c.tp[i + 1], c.tp[i + 1] + c.fn[i + 1]);
      area += (fpr0 - fpr1) * (tpr0 + tpr1) / 2.0;
    }
    return area;
  });
}

namespace {
// Keras squeezes or expands y_true to y_pred's rank; the same values in y_pred's shape.
Tensor regression_targets(const Tensor& y_true, const Tensor& y_pred, const std::string& name) {
  if (y_true.size() != y_pred.size()) {
    throw ShapeError(name + ": targets of shape " + to_string(y_true.shape()) + " for predictions of shape " +
                     to_string(y_pred.shape()));
  }
  return ops::reshape(as_float(y_true), y_pred.shape());
}
}  // namespace

MetricPtr MeanSquaredError(NameOption o) {
  return std::make_shared<MeanScore>(or_default(o.name, "mean_squared_error"),
                                     [](const Tensor& y_true, const Tensor& y_pred, const std::string& name) {
                                       return ops::square(ops::subtract(y_pred, regression_targets(y_true, y_pred, name)));
                                     });
}
MetricPtr MeanAbsoluteError(NameOption o) {
  return std::make_shared<MeanScore>(or_default(o.name, "mean_absolute_error"),
                                     [](const Tensor& y_true, const Tensor& y_pred, const std::string& name) {
                                       return ops::abs(ops::subtract(y_pred, regression_targets(y_true, y_pred, name)));
                                     });
}

MetricPtr get(const std::string& name) {
  static const std::map<std::string, std::function<MetricPtr()>> table{
      {"accuracy", [] { return Accuracy(); }},
      {"acc", [] { return Accuracy({.name = "acc"}); }},
      {"sparse_categorical_accuracy", [] { return SparseCategoricalAccuracy(); }},
      {"categorical_accuracy", [] { return CategoricalAccuracy(); }},
      {"binary_accuracy", [] { return BinaryAccuracy(); }},
      {"top_k_categorical_accuracy", [] { return TopKCategoricalAccuracy(); }},
      {"sparse_top_k_categorical_accuracy", [] { return SparseTopKCategoricalAccuracy(); }},
      {"precision", [] { return Precision(); }},
      {"recall", [] { return Recall(); }},
      {"auc", [] { return AUC(); }},
      {"mean_squared_error", [] { return MeanSquaredError(); }},
      {"mse", [] { return MeanSquaredError({.name = "mse"}); }},
      {"mean_absolute_error", [] { return MeanAbsoluteError(); }},
      {"mae", [] { return MeanAbsoluteError({.name = "mae"}); }},
  };
  return internal::lookup_name(table, name, "metric")();
}

}  // namespace keras::metrics
