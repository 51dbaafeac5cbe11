// Keras' callbacks, with the decision rules of keras/src/callbacks/*.py.
#include "keras/callbacks/callbacks.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>

#include "keras/models/model.hpp"
#include "keras/utils/progbar.hpp"
#include "monitor_rules.hpp"

namespace keras::callbacks {

Model& Callback::model() const {
  if (!model_) throw ValueError("this callback is not attached to a model (fit, evaluate or predict sets it)");
  return *model_;
}

namespace {
std::string strip_val(const std::string& monitor) {
  return monitor.rfind("val_", 0) == 0 ? monitor.substr(4) : monitor;
}
std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
}  // namespace

bool monitor_maximizes(const std::string& mode, const std::string& monitor, const char* callback) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  if (mode != "auto") {
    throw ValueError(std::string(callback) + ": mode must be \"auto\", \"min\" or \"max\", got \"" + mode + "\"");
  }
  const std::string name = strip_val(monitor);
  if (name.find("loss") != std::string::npos) return false;
  return name.ends_with("acc") || name.ends_with("accuracy") || name.ends_with("auc") ||
         name.ends_with("precision") || name.ends_with("recall");
}
void warn_missing_monitor(const std::string& monitor, const Logs& logs, const char* callback) {
  std::string available;
  for (const auto& [k, v] : logs) available += (available.empty() ? "" : ", ") + k;
  std::cerr << "warning: " << callback << " is conditioned on metric '" << monitor
            << "' which is not available. Available metrics are: " << available << "\n";
}

// --- History ----------------------------------------------------------------------------

void HistoryCallback::on_train_begin(Logs&) { history = {}; }
void HistoryCallback::on_epoch_end(int epoch, Logs& logs) {
  history.epoch.push_back(epoch);
  for (const auto& [k, v] : logs) history.history[k].push_back(v);
}

// --- ProgbarLogger ----------------------------------------------------------------------

struct ProgbarLogger::State {
  std::unique_ptr<utils::Progbar> bar;
  bool draws = false;  // after the current batch
};

ProgbarLogger::ProgbarLogger(int verbose) : state_(std::make_shared<State>()), verbose_(verbose) {}

void ProgbarLogger::set_params(int epochs, std::int64_t steps) {
  epochs_ = epochs;
  steps_ = steps;
}

namespace {
std::vector<std::pair<std::string, double>> values_of(const Logs& logs) { return {logs.begin(), logs.end()}; }
std::unique_ptr<utils::Progbar> new_bar(std::int64_t steps, int verbose) {
  return std::make_unique<utils::Progbar>(
      steps, utils::Progbar::Options{.verbose = verbose, .dynamic = utils::stdout_is_terminal()});
}
}  // namespace

void ProgbarLogger::on_epoch_begin(int epoch, Logs&) {
  if (epochs_ > 1) std::cout << "Epoch " << epoch + 1 << "/" << epochs_ << "\n";
  state_->bar = new_bar(steps_, verbose_);
}
bool ProgbarLogger::reads_batch_logs() const { return verbose_ == 1 && state_->draws; }

namespace {
// A batch's progress: drawn with its logs when they were read (for this bar or another
// callback), else only timed.
void show_batch(utils::Progbar& bar, int batch, const Logs& logs) {
  if (logs.empty()) {
    bar.advance(batch + 1);
  } else {
    bar.update(batch + 1, values_of(logs), false);
  }
}
}  // namespace

void ProgbarLogger::on_train_batch_begin(int batch, Logs&) {
  state_->draws = state_->bar && state_->bar->due(batch + 1, false);
}
void ProgbarLogger::on_train_batch_end(int batch, Logs& logs) {
  if (state_->bar) show_batch(*state_->bar, batch, logs);
}
void ProgbarLogger::on_epoch_end(int, Logs& logs) {
  if (state_->bar) state_->bar->update(steps_, values_of(logs), true);
  state_->bar.reset();
}
void ProgbarLogger::on_test_begin(Logs&) {
  if (!in_fit) state_->bar = new_bar(steps_, verbose_);
}
void ProgbarLogger::on_test_batch_begin(int batch, Logs&) {
  state_->draws = !in_fit && state_->bar && state_->bar->due(batch + 1, false);
}
void ProgbarLogger::on_test_batch_end(int batch, Logs& logs) {
  if (!in_fit && state_->bar) show_batch(*state_->bar, batch, logs);
}
void ProgbarLogger::on_test_end(Logs& logs) {
  if (!in_fit && state_->bar) state_->bar->update(steps_, values_of(logs), true);
  if (!in_fit) state_->bar.reset();
}
void ProgbarLogger::on_predict_begin(Logs&) { state_->bar = new_bar(steps_, verbose_); }
void ProgbarLogger::on_predict_batch_end(int batch, Logs&) {
  if (state_->bar) state_->bar->update(batch + 1, {}, false);
}
void ProgbarLogger::on_predict_end(Logs&) {
  if (state_->bar) state_->bar->update(steps_, {}, true);
  state_->bar.reset();
}

// --- EarlyStopping ----------------------------------------------------------------------

EarlyStoppingCallback::EarlyStoppingCallback(EarlyStoppingOptions options)
    : o_(std::move(options)), maximize_(monitor_maximizes(o_.mode, o_.monitor, "EarlyStopping")) {
  if (o_.patience < 0) throw ValueError("EarlyStopping: patience must not be negative");
  o_.min_delta = std::fabs(o_.min_delta);
}

bool EarlyStoppingCallback::improved(double current, std::optional<double> reference) const {
  if (!reference) return true;
  return maximize_ ? current - o_.min_delta > *reference : current + o_.min_delta < *reference;
}

void EarlyStoppingCallback::on_train_begin(Logs&) {
  wait_ = 0;
  stopped_epoch = 0;
  best_epoch = 0;
  best.reset();
  best_weights_.clear();
}

void EarlyStoppingCallback::on_epoch_end(int epoch, Logs& logs) {
  const auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    warn_missing_monitor(o_.monitor, logs, "EarlyStopping");
    return;
  }
  if (epoch < o_.start_from_epoch) return;
  const double current = it->second;
  if (o_.restore_best_weights && best_weights_.empty()) best_weights_ = model().get_weights();
  ++wait_;
  if (improved(current, best)) {
    best = current;
    best_epoch = epoch;
    if (o_.restore_best_weights) best_weights_ = model().get_weights();
    // With a baseline, only an improvement on the baseline resets the patience.
    if (!o_.baseline || improved(current, o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch = epoch;
    model().set_stop_training(true);
  }
}

void EarlyStoppingCallback::on_train_end(Logs&) {
  if (stopped_epoch > 0 && o_.verbose > 0) std::cout << "Epoch " << stopped_epoch + 1 << ": early stopping\n";
  if (o_.restore_best_weights && !best_weights_.empty()) {
    if (o_.verbose > 0) {
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch + 1 << ".\n";
    }
    model().set_weights(best_weights_);
  }
}

std::shared_ptr<EarlyStoppingCallback> EarlyStopping(EarlyStoppingOptions options) {
  return std::make_shared<EarlyStoppingCallback>(std::move(options));
}

// --- LearningRateScheduler --------------------------------------------------------------

LearningRateSchedulerCallback::LearningRateSchedulerCallback(std::function<double(int, double)> schedule,
                                                             LearningRateSchedulerOptions o)
    : schedule_(std::move(schedule)), o_(o) {
  if (!schedule_) throw ValueError("LearningRateScheduler: the schedule function is empty");
}

void LearningRateSchedulerCallback::on_epoch_begin(int epoch, Logs&) {
  auto optimizer = model().optimizer();
  const double lr = schedule_(epoch, optimizer->learning_rate());
  optimizer->set_learning_rate(lr);
  if (o_.verbose > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << lr << ".\n";
  }
}

void LearningRateSchedulerCallback::on_epoch_end(int, Logs& logs) {
  logs["learning_rate"] = model().optimizer()->learning_rate();
}

std::shared_ptr<LearningRateSchedulerCallback> LearningRateScheduler(std::function<double(int, double)> schedule,
                                                                     LearningRateSchedulerOptions options) {
  return std::make_shared<LearningRateSchedulerCallback>(std::move(schedule), options);
}

// --- ReduceLROnPlateau ------------------------------------------------------------------

ReduceLROnPlateauCallback::ReduceLROnPlateauCallback(ReduceLROnPlateauOptions options) : o_(std::move(options)) {
  if (o_.factor >= 1.0) {
    throw ValueError("ReduceLROnPlateau does not support a factor >= 1.0, got " + std::to_string(o_.factor));
  }
  // Keras 3 shares EarlyStopping's rules (MonitorCallback): direction and min_delta alike.
  maximize_ = monitor_maximizes(o_.mode, o_.monitor, "ReduceLROnPlateau");
  o_.min_delta = std::fabs(o_.min_delta);
}

bool ReduceLROnPlateauCallback::improved(double current) const {
  return maximize_ ? current > best_ + o_.min_delta : current < best_ - o_.min_delta;
}

void ReduceLROnPlateauCallback::on_train_begin(Logs&) {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  wait_ = 0;
  cooldown_counter_ = 0;
}

void ReduceLROnPlateauCallback::on_epoch_end(int epoch, Logs& logs) {
  auto optimizer = model().optimizer();
  logs["learning_rate"] = optimizer->learning_rate();
  const auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    warn_missing_monitor(o_.monitor, logs, "ReduceLROnPlateau");
    return;
  }
  const double current = it->second;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (improved(current)) {
    best_ = current;
    wait_ = 0;
  } else if (cooldown_counter_ <= 0) {
    if (++wait_ >= o_.patience) {
      const double old_lr = optimizer->learning_rate();
      if (old_lr > o_.min_lr) {
        const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
        optimizer->set_learning_rate(new_lr);
        if (o_.verbose > 0) {
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to " << new_lr << ".\n";
        }
        cooldown_counter_ = o_.cooldown;
        wait_ = 0;
      }
    }
  }
}

std::shared_ptr<ReduceLROnPlateauCallback> ReduceLROnPlateau(ReduceLROnPlateauOptions options) {
  return std::make_shared<ReduceLROnPlateauCallback>(std::move(options));
}

// --- CSVLogger --------------------------------------------------------------------------

CSVLoggerCallback::CSVLoggerCallback(std::string filename, CSVLoggerOptions options)
    : filename_(std::move(filename)), o_(std::move(options)) {}

void CSVLoggerCallback::on_train_begin(Logs&) {
  keys_.clear();
  write_header_ = true;
  if (o_.append) {
    std::ifstream existing(filename_);
    std::string first_line;
    write_header_ = !(existing && std::getline(existing, first_line) && !first_line.empty());
  } else {
    std::ofstream truncate(filename_, std::ios::trunc);
    if (!truncate) throw IOError("CSVLogger: cannot write '" + filename_ + "' (does its folder exist?)");
  }
}

void CSVLoggerCallback::on_epoch_end(int epoch, Logs& logs) {
  std::ofstream out(filename_, std::ios::app);
  if (!out) throw IOError("CSVLogger: cannot append to '" + filename_ + "'");
  if (keys_.empty()) {
    for (const auto& [k, v] : logs) keys_.push_back(k);  // sorted, as Keras sorts them
  }
  if (write_header_) {
    out << "epoch";
    for (const auto& k : keys_) out << o_.separator << k;
    out << "\n";
    write_header_ = false;
  }
  out << epoch;
  for (const auto& k : keys_) {
    const auto it = logs.find(k);
    out << o_.separator << (it == logs.end() ? std::string("NA") : shortest(it->second));
  }
  out << "\n";
}

std::shared_ptr<CSVLoggerCallback> CSVLogger(std::string filename, CSVLoggerOptions options) {
  return std::make_shared<CSVLoggerCallback>(std::move(filename), std::move(options));
}

// --- TerminateOnNaN ---------------------------------------------------------------------

void TerminateOnNaNCallback::on_train_batch_end(int batch, Logs& logs) {
  const auto it = logs.find("loss");
  if (it != logs.end() && !std::isfinite(it->second)) {
    std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
    model().set_stop_training(true);
  }
}

std::shared_ptr<TerminateOnNaNCallback> TerminateOnNaN() { return std::make_shared<TerminateOnNaNCallback>(); }

std::shared_ptr<LambdaCallbackImpl> LambdaCallback(LambdaCallbackOptions options) {
  return std::make_shared<LambdaCallbackImpl>(std::move(options));
}

}  // namespace keras::callbacks
