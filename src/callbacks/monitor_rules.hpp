#pragma once
// What the callbacks that watch a metric share (Keras' MonitorCallback): which direction is
// better, and the warning when the metric is absent from the logs.
#include <string>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

// "max" / "min", or "auto": losses and errors go down; accuracies, AUC, precision and recall
// go up. Another mode is a ValueError naming `callback`.
bool monitor_maximizes(const std::string& mode, const std::string& monitor, const char* callback);
void warn_missing_monitor(const std::string& monitor, const Logs& logs, const char* callback);

}  // namespace keras::callbacks
