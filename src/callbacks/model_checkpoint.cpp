// ModelCheckpoint with the rules of keras/src/callbacks/model_checkpoint.py (Keras 3).
#include "keras/callbacks/model_checkpoint.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>

#include "keras/models/model.hpp"
#include "monitor_rules.hpp"

namespace keras::callbacks {

namespace {

// Python's format spec for one number: [0][width][.precision][type], type one of d f e g.
std::string format_number(double value, const std::string& spec, const std::string& pattern) {
  std::size_t i = 0;
  bool zero = false;
  if (i < spec.size() && spec[i] == '0') {
    zero = true;
    ++i;
  }
  int width = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) width = width * 10 + (spec[i++] - '0');
  int precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    precision = 0;
    ++i;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) {
      precision = precision * 10 + (spec[i++] - '0');
    }
  }
  char type = i < spec.size() ? spec[i++] : 'g';
  if (i != spec.size() || (type != 'd' && type != 'f' && type != 'e' && type != 'g')) {
    throw ValueError("ModelCheckpoint: the file name template '" + pattern + "' has a format spec '" + spec +
                     "' kerascpp does not read (it reads [0][width][.precision] with d, f, e or g)");
  }
  std::string format = "%";
  if (zero) format += '0';
  if (width > 0) format += std::to_string(width);
  char buffer[128];
  if (type == 'd') {
    std::snprintf(buffer, sizeof buffer, (format + "lld").c_str(), static_cast<long long>(std::llround(value)));
  } else {
    if (precision < 0 && type != 'g') precision = 6;
    if (precision >= 0) format += "." + std::to_string(precision);
    std::snprintf(buffer, sizeof buffer, (format + type).c_str(), value);
  }
  return buffer;
}

}  // namespace

std::string format_filepath(const std::string& pattern, int epoch, const Logs& logs) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {  // {{ and }}
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    if (close == std::string::npos) {
      throw ValueError("ModelCheckpoint: the file name template '" + pattern + "' has an unclosed '{'");
    }
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string name = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    double value = 0.0;
    if (name == "epoch") {
      value = epoch + 1;  // Keras' file names count epochs from 1
    } else if (const auto it = logs.find(name); it != logs.end()) {
      value = it->second;
    } else {
      std::string keys = "epoch";
      for (const auto& [k, v] : logs) keys += ", " + k;
      throw ValueError("ModelCheckpoint: the file name template '" + pattern + "' names '" + name +
                       "', which the logs do not have (available: " + keys + ")");
    }
    if (spec.empty()) {
      // Python's str(): the shortest text that reads back as the same number.
      char buffer[64];
      const auto written = std::to_chars(buffer, buffer + sizeof buffer, value);
      out += name == "epoch" ? std::to_string(epoch + 1) : std::string(buffer, written.ptr);
    } else {
      out += format_number(value, spec, pattern);
    }
    i = close;
  }
  return out;
}

ModelCheckpointCallback::ModelCheckpointCallback(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), o_(std::move(options)),
      maximize_(monitor_maximizes(o_.mode, o_.monitor, "ModelCheckpoint")) {
  if (o_.save_weights_only) {
    if (!filepath_.ends_with(".weights.h5") && !filepath_.ends_with(".h5")) {
      throw ValueError("ModelCheckpoint: with save_weights_only the file name must end in .weights.h5 (Keras 3's "
                       "layout) or .h5 (Keras 2's), got '" + filepath_ + "'");
    }
  } else if (!filepath_.ends_with(".keras") && !filepath_.ends_with(".h5")) {
    throw ValueError("ModelCheckpoint: the file name must end in .keras (or .h5 for Keras 2's legacy format), got '" +
                     filepath_ + "'; pass save_weights_only = true to save weights only");
  }
  if (const int* every = std::get_if<int>(&o_.save_freq); every != nullptr && *every < 1) {
    throw ValueError("ModelCheckpoint: save_freq must be \"epoch\" or a positive number of batches");
  }
  if (const auto* name = std::get_if<std::string>(&o_.save_freq); name != nullptr && *name != "epoch") {
    throw ValueError("ModelCheckpoint: save_freq must be \"epoch\" or a positive number of batches, got \"" + *name + "\"");
  }
}

void ModelCheckpointCallback::on_train_begin(Logs&) {
  best = o_.initial_value_threshold;
  batches_since_save_ = 0;
}

bool ModelCheckpointCallback::reads_batch_logs() const { return std::holds_alternative<int>(o_.save_freq); }

void ModelCheckpointCallback::on_epoch_begin(int epoch, Logs&) { epoch_ = epoch; }

void ModelCheckpointCallback::on_train_batch_end(int, Logs& logs) {
  const int* every = std::get_if<int>(&o_.save_freq);
  if (every == nullptr) return;
  if (++batches_since_save_ >= *every) {
    batches_since_save_ = 0;
    save(epoch_, logs);
  }
}

void ModelCheckpointCallback::on_epoch_end(int epoch, Logs& logs) {
  if (std::holds_alternative<std::string>(o_.save_freq)) save(epoch, logs);
}

void ModelCheckpointCallback::save(int epoch, const Logs& logs) {
  const std::string path = format_filepath(filepath_, epoch, logs);
  if (o_.save_best_only) {
    const auto it = logs.find(o_.monitor);
    if (it == logs.end()) {
      warn_missing_monitor(o_.monitor, logs, "ModelCheckpoint (save_best_only)");
      return;
    }
    const double current = it->second;
    const bool better = !std::isnan(current) && (!best || (maximize_ ? current > *best : current < *best));
    if (!better) {
      if (o_.verbose > 0) {
        std::cout << "\nEpoch " << epoch + 1 << ": " << o_.monitor << " did not improve from " << *best << "\n";
      }
      return;
    }
    if (o_.verbose > 0) {
      std::cout << "\nEpoch " << epoch + 1 << ": " << o_.monitor << " improved from "
                << (best ? std::to_string(*best) : std::string(maximize_ ? "-inf" : "inf")) << " to " << current
                << ", saving model to " << path << "\n";
    }
    best = current;
  } else if (o_.verbose > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  if (o_.save_weights_only) {
    model().save_weights(path);
  } else {
    model().save(path);
  }
  last_saved = path;
}

std::shared_ptr<ModelCheckpointCallback> ModelCheckpoint(std::string filepath, ModelCheckpointOptions options) {
  return std::make_shared<ModelCheckpointCallback>(std::move(filepath), std::move(options));
}

}  // namespace keras::callbacks
