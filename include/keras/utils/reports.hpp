#pragma once
// Evaluation reports: confusion matrix, scikit-learn's classification_report text, top-k.
// Predictions are given as probabilities (n, classes) or as class ids (n,); labels as ids
// (n,) or (n, 1), any integer or float dtype.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::utils {

// (classes, classes) int32 counts: rows are true classes, columns predicted ones.
Tensor confusion_matrix(const Tensor& y_true, const Tensor& y_pred, std::int64_t num_classes);

struct ClassificationReportOptions {
  std::vector<std::string> target_names{};  // default: "0", "1", ...
  int digits = 2;
};
// Precision, recall, f1-score and support per class, then accuracy, macro and weighted
// averages, laid out as sklearn.metrics.classification_report prints them.
std::string classification_report(const Tensor& y_true, const Tensor& y_pred,
                                  ClassificationReportOptions options = {});

// top_k's answer: one row per prediction, each the (class name, probability) pairs best first.
// Indexing a temporary result returns the row by value, so `for (auto& [name, p] :
// top_k(...)[0])` is safe (with a plain nested vector, that row would dangle).
class TopK {
 public:
  using Row = std::vector<std::pair<std::string, float>>;
  explicit TopK(std::vector<Row> rows) : rows_(std::move(rows)) {}
  const Row& operator[](std::size_t i) const& { return rows_.at(i); }
  Row operator[](std::size_t i) && { return std::move(rows_.at(i)); }
  const Row& at(std::size_t i) const& { return rows_.at(i); }
  Row at(std::size_t i) && { return std::move(rows_.at(i)); }
  const Row& front() const& { return rows_.at(0); }
  Row front() && { return std::move(rows_.at(0)); }
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  std::vector<Row>::const_iterator begin() const { return rows_.begin(); }
  std::vector<Row>::const_iterator end() const { return rows_.end(); }

 private:
  std::vector<Row> rows_;
};

// The k most probable classes of each row of `predictions` (n, classes), best first, with
// their probabilities; names from class_names when given.
TopK top_k(const Tensor& predictions, int k, const std::vector<std::string>& class_names = {});

}  // namespace keras::utils
