// One worker of tests/distribute/data_parallel_test.py: trains a Sequential, a functional, a
// BatchNormalization and a synchronized-BatchNormalization model, on arrays (and the Sequential
// from a data source too), under MultiWorkerMirroredStrategy (203 samples, global batch 64, so
// the last batch splits unevenly), with a ModelCheckpoint named after the worker, and writes the
// final weights and the logged history to DIR/<model>_worker<id>.txt. Run alone it is one
// replica; under `mpirun -np 2` two, and the test compares the runs and the workers. The
// gradients are summed in small packs during the backward pass (written as "overlaps 1").
#include <algorithm>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "keras/keras.hpp"

using namespace keras;
using namespace keras::layers;

namespace {

Model build(const std::string& kind) {
  if (kind == "sequential" || kind == "source" || kind == "resume") {
    return Sequential({Input({8, 8, 1}), Conv2D(4, 3, {.activation = "relu"}), MaxPooling2D(2), Flatten(),
                       Dense(8, {.activation = "relu"}), Dense(3, {.activation = "softmax"})});
  }
  if (kind == "batchnorm" || kind == "syncbn") {
    return Sequential({Input({8, 8, 1}), Conv2D(4, 3), BatchNormalization({.synchronized = kind == "syncbn"}),
                       Activation("relu"), Flatten(), Dense(3, {.activation = "softmax"})});
  }
  const KerasTensor in = Input({8, 8, 1});
  const KerasTensor a = Conv2D(3, 3, {.padding = "same", .activation = "relu"})(in);
  const KerasTensor b = Conv2D(3, 1, {.activation = "tanh"})(in);
  KerasTensor x = Concatenate()({a, b});
  x = GlobalAveragePooling2D()(x);
  return Model(in, Dense(3, {.activation = "softmax"})(x), "two_branches");
}

// The same batches as fit makes of (x, y) without shuffling, as a data source.
class Batches final : public utils::Sequence {
 public:
  Batches(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {}
  std::size_t size() const override { return static_cast<std::size_t>((x_.dim(0) + 63) / 64); }
  utils::Batch get(std::size_t i) override {
    const auto start = static_cast<std::int64_t>(i) * 64, stop = std::min<std::int64_t>(start + 64, x_.dim(0));
    return {{x_.slice(start, stop)}, {y_.slice(start, stop)}, {}};
  }

 private:
  Tensor x_, y_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--kill-rank")) {
    std::fprintf(stderr, "usage: %s OUT_DIR [--kill-rank R]\n", argv[0]);
    return 2;
  }
  // --kill-rank R: worker R SIGKILLs itself as the first model's third epoch begins (the fault
  // test; that model is backed up by BackupAndRestore, so the job run again resumes it).
  const int kill_rank = argc == 4 ? std::stoi(argv[3]) : -1;
  try {
    // Packs of 64 bytes: every model's gradients go in many packs, summed on the strategy's
    // background thread while the backward pass (and SyncBatchNormalization's own sums) go on.
    distribute::MultiWorkerMirroredStrategy strategy({.bytes_per_pack = 64});
    backend::set_num_threads(1);  // the test runs two workers on two cores
    const std::string out = argv[1];
    std::vector<float> pixels(203 * 64);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::sin(0.1f * static_cast<float>(i));
    std::vector<std::int32_t> labels(203);
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>((i * 7) % 3);
    const Tensor x = Tensor::from_vector(pixels, {203, 8, 8, 1});
    const Tensor y = Tensor::from_vector(labels, {203});
    for (const std::string kind : {"resume", "sequential", "functional", "batchnorm", "syncbn", "source", "nan"}) {
      utils::set_random_seed(7);
      Model model = build(kind);
      {
        auto scope = strategy.scope();
        model.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1, .momentum = 0.9}),
                       .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
      }
      const std::string checkpoint = out + "/" + kind + "_worker" + std::to_string(strategy.replica_id()) + ".keras";
      FitOptions options{.batch_size = 64, .epochs = 3, .verbose = 0,
                               .callbacks = {callbacks::ModelCheckpoint(checkpoint)}, .shuffle = kind != "source"};
      Batches source(x, y);
      if (kind == "resume") {  // backed up each epoch: a killed job restarted resumes here
        options.callbacks.push_back(callbacks::BackupAndRestore(out + "/backup"));
        options.callbacks.push_back(callbacks::LambdaCallback({.on_epoch_begin = [&](int epoch, callbacks::Logs&) {
          if (epoch == 2 && strategy.replica_id() == kill_rank) std::raise(SIGKILL);
        }}));
      }
      int batches = 0;
      options.callbacks.push_back(callbacks::LambdaCallback({.on_train_batch_end = [&](int, callbacks::Logs&) { ++batches; }}));
      Tensor inputs = x;
      if (kind == "nan") {  // one NaN pixel, in worker 1's half of the first global batch
        std::vector<float> with_nan = pixels;
        with_nan[40 * 64 + 5] = std::nanf("");
        inputs = Tensor::from_vector(with_nan, {203, 8, 8, 1});
        options.callbacks.push_back(callbacks::TerminateOnNaN());
        options.shuffle = false;
      }
      const auto history = kind == "source" ? model.fit(source, options) : model.fit(inputs, y, options);
      std::ofstream file(out + "/" + kind + "_worker" + std::to_string(strategy.replica_id()) + ".txt");
      file.precision(9);
      file << "replicas " << strategy.num_replicas_in_sync() << "\n";
      file << "overlaps " << strategy.overlaps() << "\n";
      file << "batches " << batches << "\n";
      for (const std::string key : {"loss", "accuracy"}) {
        file << key;
        for (const double v : history.history.at(key)) file << " " << v;
        file << "\n";
      }
      file << "weights";
      for (const Tensor& w : model.get_weights()) {
        for (const float v : w.to_vector<float>()) file << " " << v;
      }
      file << "\n";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "data_parallel_worker: %s\n", e.what());
    return 1;
  }
  return 0;
}
