#include "keras/utils/reports.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace keras::utils {

namespace {
// Class ids from ids (n) / (n, 1) or from probabilities (n, classes) by argmax.
std::vector<std::int64_t> ids_of(const Tensor& t) {
  const auto v = (t.dtype() == float32 ? t : t.astype(float32)).to_vector<float>();
  const std::int64_t n = t.rank() ? t.dim(0) : 1;
  const std::int64_t width = n ? static_cast<std::int64_t>(v.size()) / n : 1;
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto row = v.begin() + i * width;
    ids[i] = width == 1 ? static_cast<std::int64_t>(*row) : std::max_element(row, row + width) - row;
  }
  return ids;
}

std::string format(const char* fmt, double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, digits, v);
  return buf;
}
}  // namespace

Tensor confusion_matrix(const Tensor& y_true, const Tensor& y_pred, std::int64_t k) {
  const auto t = ids_of(y_true), p = ids_of(y_pred);
  if (t.size() != p.size()) {
    throw ShapeError("confusion_matrix: " + std::to_string(t.size()) + " labels for " + std::to_string(p.size()) +
                     " predictions");
  }
  std::vector<std::int32_t> counts(static_cast<std::size_t>(k * k), 0);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] < 0 || t[i] >= k || p[i] < 0 || p[i] >= k) {
      throw ValueError("confusion_matrix: class " + std::to_string(t[i] < 0 || t[i] >= k ? t[i] : p[i]) +
                       " (sample " + std::to_string(i) + ") is outside [0, " + std::to_string(k) + ")");
    }
    ++counts[static_cast<std::size_t>(t[i] * k + p[i])];
  }
  return Tensor::from_vector(counts, {k, k});
}

std::string classification_report(const Tensor& y_true, const Tensor& y_pred, ClassificationReportOptions o) {
  const auto t = ids_of(y_true), p = ids_of(y_pred);
  std::int64_t k = static_cast<std::int64_t>(o.target_names.size());
  for (auto v : t) k = std::max(k, v + 1);
  for (auto v : p) k = std::max(k, v + 1);
  const auto cm = confusion_matrix(y_true, y_pred, k).to_vector<std::int32_t>();
  std::vector<std::string> names = o.target_names;
  for (std::int64_t c = static_cast<std::int64_t>(names.size()); c < k; ++c) names.push_back(std::to_string(c));

  std::size_t width = std::string("weighted avg").size();
  for (const auto& n : names) width = std::max(width, n.size());
  width = std::max<std::size_t>(width, static_cast<std::size_t>(o.digits));
  char buf[256];
  std::string report;
  std::snprintf(buf, sizeof buf, "%*s  %9s %9s %9s %9s\n\n", static_cast<int>(width), "", "precision", "recall",
                "f1-score", "support");
  report += buf;
  double macro[3] = {0, 0, 0}, weighted[3] = {0, 0, 0}, total = 0, correct = 0;
  for (std::int64_t c = 0; c < k; ++c) {
    double tp = cm[c * k + c], predicted = 0, support = 0;
    for (std::int64_t j = 0; j < k; ++j) {
      predicted += cm[j * k + c];
      support += cm[c * k + j];
    }
    const double precision = predicted > 0 ? tp / predicted : 0.0, recall = support > 0 ? tp / support : 0.0;
    const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    const double scores[3] = {precision, recall, f1};
    for (int s = 0; s < 3; ++s) {
      macro[s] += scores[s] / static_cast<double>(k);
      weighted[s] += scores[s] * support;
    }
    total += support;
    correct += tp;
    std::snprintf(buf, sizeof buf, "%*s  %9s %9s %9s %9.0f\n", static_cast<int>(width), names[c].c_str(),
                  format("%.*f", precision, o.digits).c_str(), format("%.*f", recall, o.digits).c_str(),
                  format("%.*f", f1, o.digits).c_str(), support);
    report += buf;
  }
  report += "\n";
  std::snprintf(buf, sizeof buf, "%*s  %9s %9s %9s %9.0f\n", static_cast<int>(width), "accuracy", "", "",
                format("%.*f", total > 0 ? correct / total : 0.0, o.digits).c_str(), total);
  report += buf;
  for (const auto& [label, values] : {std::pair{"macro avg", macro}, std::pair{"weighted avg", weighted}}) {
    const double divisor = label == std::string("weighted avg") && total > 0 ? total : 1.0;
    std::snprintf(buf, sizeof buf, "%*s  %9s %9s %9s %9.0f\n", static_cast<int>(width), label,
                  format("%.*f", values[0] / divisor, o.digits).c_str(),
                  format("%.*f", values[1] / divisor, o.digits).c_str(),
                  format("%.*f", values[2] / divisor, o.digits).c_str(), total);
    report += buf;
  }
  return report;
}

TopK top_k(const Tensor& predictions, int k, const std::vector<std::string>& class_names) {
  if (predictions.rank() != 2) {
    throw ShapeError("top_k expects predictions of shape (n, classes), got " + to_string(predictions.shape()));
  }
  const std::int64_t n = predictions.dim(0), classes = predictions.dim(1);
  if (k < 1 || k > classes) {
    throw ValueError("top_k: k must be in [1, " + std::to_string(classes) + "], got " + std::to_string(k));
  }
  if (!class_names.empty() && static_cast<std::int64_t>(class_names.size()) != classes) {
    throw ValueError("top_k: " + std::to_string(class_names.size()) + " class names for " + std::to_string(classes) +
                     " classes");
  }
  const auto v = predictions.to_vector<float>();
  std::vector<std::vector<std::pair<std::string, float>>> result;
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(classes));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](auto a, auto b) {
      return v[i * classes + a] > v[i * classes + b];
    });
    auto& row = result.emplace_back();
    for (int j = 0; j < k; ++j) {
      const auto c = order[j];
      row.emplace_back(class_names.empty() ? std::to_string(c) : class_names[c], v[i * classes + c]);
    }
  }
  return TopK(std::move(result));
}

}  // namespace keras::utils
