#include "keras/utils/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace keras::utils {

void write_file_atomically(const std::string& path, const std::string& contents) {
  const std::filesystem::path target(path);
  const std::filesystem::path temporary =
      target.parent_path() / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw IOError("cannot write '" + temporary.string() + "' (does the folder exist and is it writable?)");
    out << contents;
    out.flush();
    if (!out) throw IOError("writing '" + temporary.string() + "' failed (disk full?)");
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw IOError("cannot rename '" + temporary.string() + "' to '" + path + "': " + error.message());
  }
}

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 || v == std::floor(v) ? "%.0f" : "%.3g", v);
  return buf;
}

// "Nice" axis steps: 1, 2 or 5 times a power of ten, about five ticks.
double tick_step(double range) {
  if (range <= 0) return 1.0;
  const double raw = range / 5.0, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10.0 * magnitude;
}

struct Series {
  std::string label, color;
  std::vector<double> values;
  bool dashed;
};

// One chart: axes, grid, ticks, a polyline per series with point markers, and a legend.
void chart(std::ostringstream& svg, double x0, double y0, double w, double h, const std::string& title,
           const std::string& y_label, const std::vector<int>& epochs, const std::vector<Series>& series) {
  const double left = x0 + 60, right = x0 + w - 15, top = y0 + 40, bottom = y0 + h - 45;
  double lo = 1e300, hi = -1e300;
  for (const auto& s : series) {
    for (double v : s.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (lo > hi) lo = 0, hi = 1;
  if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
  const double step = tick_step(hi - lo);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const int first = epochs.empty() ? 1 : epochs.front() + 1, last = epochs.empty() ? 1 : epochs.back() + 1;
  const double span = std::max(1, last - first);
  auto px = [&](int epoch) { return left + (right - left) * (epoch - first) / span; };
  auto py = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };

  svg << "<text x=\"" << (left + right) / 2 << "\" y=\"" << y0 + 22 << "\" text-anchor=\"middle\" font-size=\"16\" "
      << "font-weight=\"bold\">" << escape(title) << "</text>\n";
  for (double v = lo; v <= hi + step / 2; v += step) {
    svg << "<line x1=\"" << left << "\" y1=\"" << py(v) << "\" x2=\"" << right << "\" y2=\"" << py(v)
        << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << left - 6 << "\" y=\"" << py(v) + 4
        << "\" text-anchor=\"end\" font-size=\"11\">" << number(v) << "</text>\n";
  }
  const int epoch_step = std::max(1, static_cast<int>(tick_step(span)));
  for (int e = first; e <= last; e += epoch_step) {
    svg << "<line x1=\"" << px(e) << "\" y1=\"" << bottom << "\" x2=\"" << px(e) << "\" y2=\"" << bottom + 5
        << "\" stroke=\"#333\"/>\n<text x=\"" << px(e) << "\" y=\"" << bottom + 18
        << "\" text-anchor=\"middle\" font-size=\"11\">" << e << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\"" << bottom - top
      << "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << (left + right) / 2 << "\" y=\"" << bottom + 36
      << "\" text-anchor=\"middle\" font-size=\"12\">epoch</text>\n";
  svg << "<text transform=\"translate(" << x0 + 16 << "," << (top + bottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" << escape(y_label) << "</text>\n";
  // The legend goes in the right-hand corner the curves end farthest from, sized to its text.
  std::size_t longest = 0;
  double last_sum = 0.0;
  int last_count = 0;
  for (const auto& s : series) {
    longest = std::max(longest, s.label.size());
    if (!s.values.empty() && std::isfinite(s.values.back())) last_sum += s.values.back(), ++last_count;
  }
  const bool curves_end_high = last_count > 0 && (last_sum / last_count - lo) / (hi - lo) > 0.5;
  const double legend_w = 40.0 + 7.0 * static_cast<double>(longest), legend_h = 18.0 * static_cast<double>(series.size()) + 8;
  const double legend_x = right - legend_w - 8, legend_top = curves_end_high ? bottom - legend_h - 8 : top + 8;
  svg << "<rect x=\"" << legend_x << "\" y=\"" << legend_top << "\" width=\"" << legend_w << "\" height=\"" << legend_h
      << "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
  double legend_y = legend_top + 15;
  for (const auto& s : series) {
    std::string points;
    for (std::size_t i = 0; i < s.values.size() && i < epochs.size(); ++i) {
      if (!std::isfinite(s.values[i])) continue;
      points += number(px(epochs[i] + 1)) + "," + number(py(s.values[i])) + " ";
      svg << "<circle cx=\"" << px(epochs[i] + 1) << "\" cy=\"" << py(s.values[i]) << "\" r=\"3\" fill=\""
          << s.color << "\"/>\n";
    }
    svg << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"6,4\"" : "") << " points=\"" << points << "\"/>\n";
    svg << "<line x1=\"" << legend_x + 8 << "\" y1=\"" << legend_y << "\" x2=\"" << legend_x + 32 << "\" y2=\"" << legend_y
        << "\" stroke=\"" << s.color << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6,4\"" : "")
        << "/>\n<text x=\"" << legend_x + 36 << "\" y=\"" << legend_y + 4 << "\" font-size=\"12\">" << escape(s.label)
        << "</text>\n";
    legend_y += 18;
  }
}

}  // namespace

void plot_history(const callbacks::History& history, const std::string& path, PlotHistoryOptions o) {
  if (history.epoch.empty()) throw ValueError("plot_history: the history has no epochs to plot");
  // The first of Keras' accuracy names that the history has.
  std::string accuracy;
  for (const char* name : {"accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy"}) {
    if (history.history.count(name)) {
      accuracy = name;
      break;
    }
  }
  auto series_of = [&](const std::string& key, const std::string& label, const char* color, bool dashed) {
    std::vector<Series> s;
    const auto it = history.history.find(key);
    if (it != history.history.end()) s.push_back({label, color, it->second, dashed});
    return s;
  };
  std::vector<Series> losses = series_of("loss", "train loss", "#1f77b4", false);
  for (auto& s : series_of("val_loss", "validation loss", "#ff7f0e", true)) losses.push_back(s);
  if (losses.empty()) throw ValueError("plot_history: the history has no 'loss'");
  std::vector<Series> accuracies;
  if (!accuracy.empty()) {
    accuracies = series_of(accuracy, "train " + accuracy, "#1f77b4", false);
    for (auto& s : series_of("val_" + accuracy, "validation " + accuracy, "#ff7f0e", true)) accuracies.push_back(s);
  }
  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width
      << "\" height=\"" << o.height << "\" viewBox=\"0 0 " << o.width << " " << o.height
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<title>" << escape(o.title) << "</title>\n";
  const double panel = accuracies.empty() ? o.width : o.width / 2.0;
  chart(svg, 0, 0, panel, o.height, "Loss", "loss", history.epoch, losses);
  if (!accuracies.empty()) chart(svg, panel, 0, panel, o.height, "Accuracy", accuracy, history.epoch, accuracies);
  svg << "</svg>\n";
  write_file_atomically(path, svg.str());
}

void plot_confusion_matrix(const Tensor& matrix, const std::string& path, PlotConfusionMatrixOptions o) {
  if (matrix.rank() != 2 || matrix.dim(0) != matrix.dim(1) || matrix.dim(0) == 0) {
    throw ValueError("plot_confusion_matrix: expected a square (classes, classes) matrix, got shape " +
                     to_string(matrix.shape()) + " (pass utils::confusion_matrix's answer)");
  }
  const std::int64_t n = matrix.dim(0);
  if (!o.class_names.empty() && static_cast<std::int64_t>(o.class_names.size()) != n) {
    throw ValueError("plot_confusion_matrix: " + std::to_string(o.class_names.size()) + " class names for a " +
                     std::to_string(n) + "-class matrix");
  }
  const std::vector<float> values = matrix.astype(float32).to_vector<float>();
  const std::vector<double> counts(values.begin(), values.end());
  auto name = [&](std::int64_t i) { return o.class_names.empty() ? std::to_string(i) : o.class_names[static_cast<std::size_t>(i)]; };
  const bool labelled = n <= 30;
  const double margin = labelled ? 130.0 : 50.0, cell = std::max(4.0, std::min(40.0, 800.0 / static_cast<double>(n)));
  const double side = cell * static_cast<double>(n), width = margin + side + 20, height = margin + side + 50;
  double peak = 0.0;
  std::vector<double> row_total(static_cast<std::size_t>(n), 0.0);
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t c = 0; c < n; ++c) row_total[static_cast<std::size_t>(r)] += counts[static_cast<std::size_t>(r * n + c)];
  }
  auto shade = [&](std::int64_t r, std::int64_t c) {
    const double v = counts[static_cast<std::size_t>(r * n + c)], total = row_total[static_cast<std::size_t>(r)];
    return o.normalize ? (total > 0 ? v / total : 0.0) : v;
  };
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t c = 0; c < n; ++c) peak = std::max(peak, shade(r, c));
  }
  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<title>"
      << escape(o.title) << "</title>\n<text x=\"" << margin + side / 2 << "\" y=\"22\" text-anchor=\"middle\" "
      << "font-size=\"16\" font-weight=\"bold\">" << escape(o.title) << "</text>\n";
  for (std::int64_t r = 0; r < n; ++r) {
    for (std::int64_t c = 0; c < n; ++c) {
      const double v = counts[static_cast<std::size_t>(r * n + c)], level = peak > 0 ? shade(r, c) / peak : 0.0;
      if (v == 0) continue;  // the background is white: a 100-class matrix is mostly empty cells
      // White to dark blue; a cell's count and row share are in its tooltip.
      const int red = static_cast<int>(std::lround(255 - 247 * level)), green = static_cast<int>(std::lround(255 - 207 * level)),
                blue = static_cast<int>(std::lround(255 - 148 * level));
      svg << "<rect x=\"" << margin + cell * static_cast<double>(c) << "\" y=\"" << margin + cell * static_cast<double>(r)
          << "\" width=\"" << cell << "\" height=\"" << cell << "\" fill=\"rgb(" << red << "," << green << "," << blue
          << ")\"><title>true " << escape(name(r)) << ", predicted " << escape(name(c)) << ": " << number(v)
          << "</title></rect>\n";
      if (labelled && cell >= 18) {
        svg << "<text x=\"" << margin + cell * (static_cast<double>(c) + 0.5) << "\" y=\"" << margin + cell * (static_cast<double>(r) + 0.5) + 4
            << "\" text-anchor=\"middle\" font-size=\"10\" fill=\"" << (level > 0.5 ? "white" : "black") << "\">"
            << number(v) << "</text>\n";
      }
    }
    if (labelled) {
      svg << "<text x=\"" << margin - 6 << "\" y=\"" << margin + cell * (static_cast<double>(r) + 0.5) + 4
          << "\" text-anchor=\"end\" font-size=\"11\">" << escape(name(r)) << "</text>\n<text transform=\"translate("
          << margin + cell * (static_cast<double>(r) + 0.5) + 4 << "," << margin - 6 << ") rotate(-60)\" font-size=\"11\">"
          << escape(name(r)) << "</text>\n";
    }
  }
  svg << "<rect x=\"" << margin << "\" y=\"" << margin << "\" width=\"" << side << "\" height=\"" << side
      << "\" fill=\"none\" stroke=\"#333\"/>\n<text x=\"" << margin + side / 2 << "\" y=\"" << margin + side + 30
      << "\" text-anchor=\"middle\" font-size=\"12\">predicted class</text>\n<text transform=\"translate(16,"
      << margin + side / 2 << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">true class</text>\n</svg>\n";
  write_file_atomically(path, svg.str());
}

}  // namespace keras::utils
