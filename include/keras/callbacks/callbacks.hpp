#pragma once
// Keras' callbacks with their arguments and defaults. Each factory returns a shared object, so
// it can be kept and inspected after fit (early_stopping->stopped_epoch ...).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/callbacks/callback.hpp"
#include "keras/core/tensor.hpp"

namespace keras::callbacks {

// fit's record of the epoch logs (returned by fit, as in Keras).
struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;
};

class HistoryCallback final : public Callback {
 public:
  bool reads_batch_logs() const override { return false; }
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  History history;
};

// Prints Keras' progress bar (verbose 1) or one line per epoch (verbose 2).
class ProgbarLogger final : public Callback {
 public:
  // Only for a batch after which the bar will redraw (verbose 1 on a terminal, at most every
  // 0.05 s, as Keras' bar), decided when the batch begins: reading the logs waits for the device.
  bool reads_batch_logs() const override;
  explicit ProgbarLogger(int verbose = 1);
  void set_params(int epochs, std::int64_t steps);
  void on_epoch_begin(int epoch, Logs&) override;
  void on_train_batch_begin(int batch, Logs&) override;
  void on_train_batch_end(int batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_test_begin(Logs&) override;
  void on_test_batch_begin(int batch, Logs&) override;
  void on_test_batch_end(int batch, Logs& logs) override;
  void on_test_end(Logs& logs) override;
  void on_predict_begin(Logs&) override;
  void on_predict_batch_end(int batch, Logs& logs) override;
  void on_predict_end(Logs&) override;
  bool in_fit = false;  // validation inside fit prints nothing of its own

 private:
  struct State;
  std::shared_ptr<State> state_;
  int verbose_;
  int epochs_ = 0;
  std::int64_t steps_ = 0;
};

// "auto": maximize metrics whose name ends in acc/accuracy/auc, minimize the rest.
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline{};
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};
class EarlyStoppingCallback final : public Callback {
 public:
  bool reads_batch_logs() const override { return false; }
  explicit EarlyStoppingCallback(EarlyStoppingOptions options);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;
  int stopped_epoch = 0;
  int best_epoch = 0;
  std::optional<double> best;

 private:
  bool improved(double current, std::optional<double> reference) const;
  EarlyStoppingOptions o_;
  bool maximize_;
  int wait_ = 0;
  std::vector<Tensor> best_weights_;
};
std::shared_ptr<EarlyStoppingCallback> EarlyStopping(EarlyStoppingOptions options = {});

// schedule(epoch, current learning rate) -> learning rate for this epoch.
struct LearningRateSchedulerOptions {
  int verbose = 0;
};
class LearningRateSchedulerCallback final : public Callback {
 public:
  bool reads_batch_logs() const override { return false; }
  LearningRateSchedulerCallback(std::function<double(int, double)> schedule, LearningRateSchedulerOptions o);
  void on_epoch_begin(int epoch, Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::function<double(int, double)> schedule_;
  LearningRateSchedulerOptions o_;
};
std::shared_ptr<LearningRateSchedulerCallback> LearningRateScheduler(
    std::function<double(int, double)> schedule, LearningRateSchedulerOptions options = {});

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};
class ReduceLROnPlateauCallback final : public Callback {
 public:
  bool reads_batch_logs() const override { return false; }
  explicit ReduceLROnPlateauCallback(ReduceLROnPlateauOptions options);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  bool improved(double current) const;
  ReduceLROnPlateauOptions o_;
  bool maximize_;
  double best_ = 0.0;
  int wait_ = 0, cooldown_counter_ = 0;
};
std::shared_ptr<ReduceLROnPlateauCallback> ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});

struct CSVLoggerOptions {
  std::string separator = ",";
  bool append = false;
};
class CSVLoggerCallback final : public Callback {
 public:
  bool reads_batch_logs() const override { return false; }
  CSVLoggerCallback(std::string filename, CSVLoggerOptions options);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::string filename_;
  CSVLoggerOptions o_;
  std::vector<std::string> keys_;
  bool write_header_ = true;
};
std::shared_ptr<CSVLoggerCallback> CSVLogger(std::string filename, CSVLoggerOptions options = {});

// Stops training when a batch loss is NaN or infinite.
class TerminateOnNaNCallback final : public Callback {
 public:
  void on_train_batch_end(int batch, Logs& logs) override;
};
std::shared_ptr<TerminateOnNaNCallback> TerminateOnNaN();

struct LambdaCallbackOptions {
  std::function<void(int, Logs&)> on_epoch_begin{};
  std::function<void(int, Logs&)> on_epoch_end{};
  std::function<void(int, Logs&)> on_train_batch_begin{};
  std::function<void(int, Logs&)> on_train_batch_end{};
  std::function<void(Logs&)> on_train_begin{};
  std::function<void(Logs&)> on_train_end{};
};
class LambdaCallbackImpl final : public Callback {
 public:
  explicit LambdaCallbackImpl(LambdaCallbackOptions o) : o_(std::move(o)) {}
  bool reads_batch_logs() const override { return static_cast<bool>(o_.on_train_batch_end); }
  void on_epoch_begin(int e, Logs& l) override { if (o_.on_epoch_begin) o_.on_epoch_begin(e, l); }
  void on_epoch_end(int e, Logs& l) override { if (o_.on_epoch_end) o_.on_epoch_end(e, l); }
  void on_train_batch_begin(int b, Logs& l) override { if (o_.on_train_batch_begin) o_.on_train_batch_begin(b, l); }
  void on_train_batch_end(int b, Logs& l) override { if (o_.on_train_batch_end) o_.on_train_batch_end(b, l); }
  void on_train_begin(Logs& l) override { if (o_.on_train_begin) o_.on_train_begin(l); }
  void on_train_end(Logs& l) override { if (o_.on_train_end) o_.on_train_end(l); }

 private:
  LambdaCallbackOptions o_;
};
std::shared_ptr<LambdaCallbackImpl> LambdaCallback(LambdaCallbackOptions options);

}  // namespace keras::callbacks
