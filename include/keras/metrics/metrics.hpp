#pragma once
// keras.metrics: stateful metrics accumulated over an epoch, with Keras' names and defaults.
// As in Keras, update_state reduces each batch on the backend into float32 accumulators that
// stay there; result() reads them (the metric's only host read, a synchronization).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::metrics {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  const std::string& name() const { return name_; }
  // sample_weight (n,) is optional.
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = {}) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;

 private:
  std::string name_;
};
using MetricPtr = std::shared_ptr<Metric>;

struct NameOption {
  std::string name{};
};
struct TopKOptions {
  int k = 5;
  std::string name{};
};
struct ThresholdOptions {
  float threshold = 0.5f;
  std::string name{};
};
struct AUCOptions {
  int num_thresholds = 200;
  std::string name{};
};

// "accuracy" as Keras resolves it: sparse labels -> sparse_categorical_accuracy, one
// prediction per sample -> binary_accuracy, else categorical_accuracy; decided on the first batch.
MetricPtr Accuracy(NameOption options = {});
MetricPtr SparseCategoricalAccuracy(NameOption options = {});
MetricPtr CategoricalAccuracy(NameOption options = {});
MetricPtr BinaryAccuracy(ThresholdOptions options = {});
MetricPtr SparseTopKCategoricalAccuracy(TopKOptions options = {});
MetricPtr TopKCategoricalAccuracy(TopKOptions options = {});
MetricPtr Precision(ThresholdOptions options = {});
MetricPtr Recall(ThresholdOptions options = {});
// ROC AUC with num_thresholds evenly spaced thresholds and the trapezoidal rule, as Keras.
MetricPtr AUC(AUCOptions options = {});
// Regression: the mean over samples of each sample's mean squared / absolute error.
MetricPtr MeanSquaredError(NameOption options = {});
MetricPtr MeanAbsoluteError(NameOption options = {});

// A weighted running mean of values (Keras' Mean, used for the loss).
class Mean final : public Metric {
 public:
  explicit Mean(std::string name) : Metric(std::move(name)) {}
  // Adds a scalar tensor (a batch's loss) with a weight known on the host (its batch size).
  void update(const Tensor& value, double weight = 1.0);
  void update_state(const Tensor&, const Tensor& values, const Tensor& sample_weight = {}) override;
  double result() const override;
  void reset_state() override;

 private:
  Tensor total_, count_;     // on the backend; count_ only for sample weights
  double host_count_ = 0.0;  // weights known on the host
};

// Keras' metric strings: "accuracy"/"acc", "sparse_categorical_accuracy", "categorical_accuracy",
// "binary_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
// "precision", "recall", "auc", "mean_squared_error"/"mse", "mean_absolute_error"/"mae". As in
// Keras' compile, the metric is named (and logged) by the string it was asked for.
MetricPtr get(const std::string& name);

}  // namespace keras::metrics
