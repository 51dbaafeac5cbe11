#pragma once
// keras.callbacks.ModelCheckpoint: saves the model (or its weights) during fit, at the end of
// every epoch or every `save_freq` batches, optionally only when the monitored value improves.
// The file name is a template filled from the epoch (1-based, as Keras prints it) and the logs:
// "weights.{epoch:02d}-{val_loss:.2f}.weights.h5".
#include <optional>
#include <string>
#include <variant>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;  // then the name must end in .weights.h5 (or .h5)
  std::string mode = "auto";       // "auto" | "min" | "max"
  std::variant<std::string, int> save_freq = "epoch";  // "epoch" or a number of batches
  std::optional<double> initial_value_threshold{};     // the best value to beat at the start
};

class ModelCheckpointCallback final : public Callback {
 public:
  // A checkpoint every N batches may monitor the batch logs.
  bool reads_batch_logs() const override;
  ModelCheckpointCallback(std::string filepath, ModelCheckpointOptions options);
  void on_train_begin(Logs&) override;
  void on_train_batch_end(int batch, Logs& logs) override;
  void on_epoch_begin(int epoch, Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  // The best monitored value so far (Keras' `best`).
  std::optional<double> best;
  // The path the last save wrote.
  std::string last_saved;

 private:
  void save(int epoch, const Logs& logs);
  std::string filepath_;
  ModelCheckpointOptions o_;
  bool maximize_;
  int epoch_ = 0;
  int batches_since_save_ = 0;
};
std::shared_ptr<ModelCheckpointCallback> ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});

// Fills a Keras file-name template: {name} or {name:spec} with Python's format specs for
// numbers (width, zero padding, precision; d, f, e, g). An unknown name or a bad spec raises a
// ValueError naming the template and the keys available.
std::string format_filepath(const std::string& pattern, int epoch, const Logs& logs);

}  // namespace keras::callbacks
