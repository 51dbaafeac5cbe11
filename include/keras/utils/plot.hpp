#pragma once
// plot_history: the loss and accuracy curves of a History, train and validation per epoch,
// as a standalone SVG a browser opens. The file is written to a temporary name and renamed.
#include <string>

#include "keras/callbacks/callbacks.hpp"

namespace keras::utils {

struct PlotHistoryOptions {
  std::string title = "Training history";
  int width = 960;
  int height = 400;
};
void plot_history(const callbacks::History& history, const std::string& path, PlotHistoryOptions options = {});

// Writes `contents` to `path` through a temporary file in the same folder and a rename, so a
// crash never leaves a half-written file where the old one was.
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace keras::utils
