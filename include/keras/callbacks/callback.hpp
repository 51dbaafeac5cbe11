#pragma once
// keras.callbacks.Callback: hooks into fit, evaluate and predict, with Keras' names. Logs map
// metric names to their current values ("loss", "accuracy", "val_loss", ...).
#include <map>
#include <memory>
#include <string>

namespace keras {
class Model;
}

namespace keras::callbacks {

using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  // The model being trained; set by fit/evaluate/predict before the first hook.
  void set_model(Model* model) { model_ = model; }
  Model& model() const;

  virtual void on_train_begin(Logs&) {}
  virtual void on_train_end(Logs&) {}
  virtual void on_epoch_begin(int /*epoch*/, Logs&) {}
  virtual void on_epoch_end(int /*epoch*/, Logs&) {}
  virtual void on_train_batch_begin(int /*batch*/, Logs&) {}
  virtual void on_train_batch_end(int /*batch*/, Logs&) {}
  virtual void on_test_begin(Logs&) {}
  virtual void on_test_end(Logs&) {}
  virtual void on_test_batch_begin(int /*batch*/, Logs&) {}
  virtual void on_test_batch_end(int /*batch*/, Logs&) {}
  virtual void on_predict_begin(Logs&) {}
  virtual void on_predict_end(Logs&) {}
  virtual void on_predict_batch_begin(int /*batch*/, Logs&) {}
  virtual void on_predict_batch_end(int /*batch*/, Logs&) {}

  // Whether on_train_batch_end / on_test_batch_end read their logs, asked after each batch's
  // step (the answer may change from batch to batch). When no callback does, fit and evaluate
  // pass empty batch logs and skip reading the metrics from the backend, so a training step
  // does not wait for the device. A callback that does not say is assumed to.
  virtual bool reads_batch_logs() const { return true; }

 private:
  Model* model_ = nullptr;
};

using CallbackPtr = std::shared_ptr<Callback>;

}  // namespace keras::callbacks
