#pragma once
// Evaluation reports: confusion matrix, scikit-learn's classification_report text, top-k.
// Predictions are given as probabilities (n, classes) or as class ids (n,); labels as ids
// (n,) or (n, 1), any integer or float dtype.
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

// The k most probable classes of each row of `predictions` (n, classes), best first, with
// their probabilities; names from class_names when given.
std::vector<std::vector<std::pair<std::string, float>>> top_k(const Tensor& predictions, int k,
                                                              const std::vector<std::string>& class_names = {});

}  // namespace keras::utils
