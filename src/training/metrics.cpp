#include "keras/metrics/metrics.hpp"

#include "keras/internal/name_lookup.hpp"
#include <algorithm>
#include <functional>
#include <map>

namespace keras::metrics {

namespace {

std::vector<double> host(const Tensor& t) {
  const auto v = (t.dtype() == float32 ? t : t.astype(float32)).to_vector<float>();
  return {v.begin(), v.end()};
}

// Predictions as rows: (n, classes); anything of rank 1 is one column.
struct Rows {
  std::vector<double> values;
  std::int64_t n = 0, width = 1;
};
Rows rows_of(const Tensor& t) {
  Rows r{host(t), t.rank() ? t.dim(0) : 1, 1};
  r.width = r.n ? static_cast<std::int64_t>(r.values.size()) / r.n : 1;
  return r;
}

std::vector<double> weights_of(const Tensor& sample_weight, std::int64_t n) {
  if (!sample_weight.defined()) return std::vector<double>(static_cast<std::size_t>(n), 1.0);
  auto w = host(sample_weight);
  if (static_cast<std::int64_t>(w.size()) != n) {
    throw ShapeError("metric: sample_weight of shape " + to_string(sample_weight.shape()) +
                     " for a batch of " + std::to_string(n));
  }
  return w;
}

std::int64_t argmax(const std::vector<double>& v, std::int64_t row, std::int64_t width) {
  const auto begin = v.begin() + row * width;
  return std::max_element(begin, begin + width) - begin;
}

void require_rows(const Rows& t, const Rows& p, const std::string& metric) {
  if (t.n != p.n) {
    throw ShapeError(metric + ": " + std::to_string(t.n) + " targets for " + std::to_string(p.n) +
                     " predictions");
  }
}

// Accumulates a weighted mean of per-sample scores.
class MeanScore : public Metric {
 public:
  using Score = std::function<double(const Rows& y_true, const Rows& y_pred, std::int64_t i)>;
  MeanScore(std::string name, Score score) : Metric(std::move(name)), score_(std::move(score)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    const Rows t = rows_of(y_true), p = rows_of(y_pred);
    require_rows(t, p, name());
    const auto w = weights_of(sample_weight, p.n);
    for (std::int64_t i = 0; i < p.n; ++i) {
      total_ += w[i] * score_(t, p, i);
      count_ += w[i];
    }
  }
  double result() const override { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset_state() override { total_ = count_ = 0.0; }

 private:
  Score score_;
  double total_ = 0.0, count_ = 0.0;
};

double sparse_hit(const Rows& t, const Rows& p, std::int64_t i) {
  return static_cast<double>(argmax(p.values, i, p.width) == static_cast<std::int64_t>(t.values[i]));
}
double categorical_hit(const Rows& t, const Rows& p, std::int64_t i) {
  return static_cast<double>(argmax(p.values, i, p.width) == argmax(t.values, i, t.width));
}
// Rank of the true class among the predictions: it is in the top k when fewer than k classes
// score strictly higher.
bool in_top_k(const Rows& p, std::int64_t i, std::int64_t label, int k) {
  const double score = p.values[i * p.width + label];
  std::int64_t higher = 0;
  for (std::int64_t j = 0; j < p.width; ++j) higher += p.values[i * p.width + j] > score;
  return higher < k;
}

// Counts of a binary confusion at one threshold, weighted.
struct Confusion {
  double tp = 0, fp = 0, tn = 0, fn = 0;
};

class ThresholdCounts : public Metric {
 public:
  ThresholdCounts(std::string name, std::vector<double> thresholds,
                  std::function<double(const std::vector<Confusion>&)> reduce)
      : Metric(std::move(name)), thresholds_(std::move(thresholds)), counts_(thresholds_.size()),
        reduce_(std::move(reduce)) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
    const auto t = host(y_true), p = host(y_pred);
    if (t.size() != p.size()) {
      throw ShapeError(name() + ": targets of shape " + to_string(y_true.shape()) +
                       " for predictions of shape " + to_string(y_pred.shape()));
    }
    const std::int64_t n = y_pred.rank() ? y_pred.dim(0) : 1;
    const auto w = weights_of(sample_weight, n);
    const std::size_t per_sample = n ? p.size() / static_cast<std::size_t>(n) : 1;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double weight = w[i / per_sample];
      const bool positive = t[i] > 0.5;
      for (std::size_t k = 0; k < thresholds_.size(); ++k) {
        const bool predicted = p[i] > thresholds_[k];
        Confusion& c = counts_[k];
        (positive ? (predicted ? c.tp : c.fn) : (predicted ? c.fp : c.tn)) += weight;
      }
    }
  }
  double result() const override { return reduce_(counts_); }
  void reset_state() override { std::fill(counts_.begin(), counts_.end(), Confusion{}); }

 private:
  std::vector<double> thresholds_;
  std::vector<Confusion> counts_;
  std::function<double(const std::vector<Confusion>&)> reduce_;
};

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

std::string or_default(const std::string& name, const char* fallback) {
  return name.empty() ? fallback : name;
}

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

void Mean::update_state(const Tensor&, const Tensor& values, const Tensor& sample_weight) {
  const auto v = host(values);
  const auto w = sample_weight.defined() ? host(sample_weight) : std::vector<double>(v.size(), 1.0);
  for (std::size_t i = 0; i < v.size(); ++i) update(v[i], w[i]);
}

MetricPtr Accuracy(NameOption o) { return std::make_shared<AutoAccuracy>(or_default(o.name, "accuracy")); }
MetricPtr SparseCategoricalAccuracy(NameOption o) {
  return std::make_shared<MeanScore>(or_default(o.name, "sparse_categorical_accuracy"), sparse_hit);
}
MetricPtr CategoricalAccuracy(NameOption o) {
  return std::make_shared<MeanScore>(or_default(o.name, "categorical_accuracy"), categorical_hit);
}
MetricPtr BinaryAccuracy(ThresholdOptions o) {
  return std::make_shared<MeanScore>(or_default(o.name, "binary_accuracy"),
                                     [t = o.threshold](const Rows& y, const Rows& p, std::int64_t i) {
                                       double hits = 0;
                                       for (std::int64_t j = 0; j < p.width; ++j) {
                                         const bool predicted = p.values[i * p.width + j] > t;
                                         hits += predicted == (y.values[i * y.width + j] > 0.5);
                                       }
                                       return hits / static_cast<double>(p.width);
                                     });
}
MetricPtr SparseTopKCategoricalAccuracy(TopKOptions o) {
  return std::make_shared<MeanScore>(or_default(o.name, "sparse_top_k_categorical_accuracy"),
                                     [k = o.k](const Rows& y, const Rows& p, std::int64_t i) {
                                       return static_cast<double>(
                                           in_top_k(p, i, static_cast<std::int64_t>(y.values[i]), k));
                                     });
}
MetricPtr TopKCategoricalAccuracy(TopKOptions o) {
  return std::make_shared<MeanScore>(or_default(o.name, "top_k_categorical_accuracy"),
                                     [k = o.k](const Rows& y, const Rows& p, std::int64_t i) {
                                       return static_cast<double>(in_top_k(p, i, argmax(y.values, i, y.width), k));
                                     });
}
MetricPtr Precision(ThresholdOptions o) {
  return std::make_shared<ThresholdCounts>(or_default(o.name, "precision"), std::vector<double>{o.threshold},
                                           [](const auto& c) { return ratio(c[0].tp, c[0].tp + c[0].fp); });
}
MetricPtr Recall(ThresholdOptions o) {
  return std::make_shared<ThresholdCounts>(or_default(o.name, "recall"), std::vector<double>{o.threshold},
                                           [](const auto& c) { return ratio(c[0].tp, c[0].tp + c[0].fn); });
}
MetricPtr AUC(AUCOptions o) {
  if (o.num_thresholds < 2) throw ValueError("AUC: num_thresholds must be at least 2");
  // Keras: -eps, the num_thresholds - 2 interior points i / (num_thresholds - 1), 1 + eps.
  std::vector<double> thresholds{-1e-7};
  for (int i = 1; i < o.num_thresholds - 1; ++i) thresholds.push_back(i / double(o.num_thresholds - 1));
  thresholds.push_back(1.0 + 1e-7);
  return std::make_shared<ThresholdCounts>(or_default(o.name, "auc"), thresholds, [](const auto& c) {
    double area = 0.0;
    for (std::size_t i = 0; i + 1 < c.size(); ++i) {
      const double fpr0 = ratio(c[i].fp, c[i].fp + c[i].tn), fpr1 = ratio(c[i + 1].fp, c[i + 1].fp + c[i + 1].tn);
      const double tpr0 = ratio(c[i].tp, c[i].tp + c[i].fn), tpr1 = ratio(c[i + 1].tp, c[i + 1].tp + c[i + 1].fn);
      area += (fpr0 - fpr1) * (tpr0 + tpr1) / 2.0;
    }
    return area;
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
  };
  return internal::lookup_name(table, name, "metric")();
}

}  // namespace keras::metrics
