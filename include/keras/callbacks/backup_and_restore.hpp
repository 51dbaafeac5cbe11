#pragma once
// keras.callbacks.BackupAndRestore: fault tolerance for fit. At the end of every epoch the
// model's weights, its optimizer's state, the random streams (global and per layer, so shuffling
// and dropout continue as they would have) and the epoch are written to
// <backup_dir>/latest.weights.h5, atomically (a temporary file renamed into place). A fit that
// starts with a backup there resumes after the last finished epoch; a fit that finishes deletes
// the backup (unless delete_checkpoint is false). Only save_freq "epoch" is supported.
#include <string>

#include "keras/callbacks/callback.hpp"

namespace keras::callbacks {

struct BackupAndRestoreOptions {
  std::string save_freq = "epoch";
  bool delete_checkpoint = true;
};

class BackupAndRestoreCallback final : public Callback {
 public:
  bool reads_batch_logs() const override { return false; }
  BackupAndRestoreCallback(std::string backup_dir, BackupAndRestoreOptions options);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;
  // The backup file inside backup_dir.
  std::string backup_path() const;

 private:
  std::string dir_;
  BackupAndRestoreOptions o_;
};
std::shared_ptr<BackupAndRestoreCallback> BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options = {});

}  // namespace keras::callbacks
