#pragma once
// plot_history: the loss and accuracy curves of a History, train and validation per epoch,
// as a standalone SVG a browser opens; plot_confusion_matrix: a heat map of class counts.
// Files are written to a temporary name and renamed.
#include <string>
#include <vector>

#include "keras/callbacks/callbacks.hpp"
#include "keras/core/tensor.hpp"

namespace keras::utils {

struct PlotHistoryOptions {
  std::string title = "Training history";
  int width = 960;
  int height = 400;
};
void plot_history(const callbacks::History& history, const std::string& path, PlotHistoryOptions options = {});

struct PlotConfusionMatrixOptions {
  std::string title = "Confusion matrix";
  std::vector<std::string> class_names{};  // axis labels; default "0", "1", ... (shown when <= 30 classes)
  bool normalize = true;                    // shade each row by its share of that class's samples
};
// A confusion matrix (rows true classes, columns predicted; utils::confusion_matrix's answer)
// as a standalone SVG heat map, each cell's count in a tooltip; written atomically.
void plot_confusion_matrix(const Tensor& matrix, const std::string& path, PlotConfusionMatrixOptions options = {});

// Writes `contents` to `path` through a temporary file in the same folder and a rename, so a
// crash never leaves a half-written file where the old one was.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace keras::utils
