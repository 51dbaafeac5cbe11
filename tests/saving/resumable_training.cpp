// A training run for the kill test (tests/callbacks/backup_and_restore_test.cpp): fits with BackupAndRestore and a
// ModelCheckpoint into <folder>, then writes <folder>/final.weights.h5 and prints "finished".
// Killed and started again, it must resume and end with the same weights as an uninterrupted run.
#include <iostream>

#include "resumable_training_model.hpp"
#include "support/emulated_device_backend.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: resumable_training <folder> <epochs>\n";
    return 2;
  }
  keras::testing::register_emulated_device_backend();  // the suite's KERAS_BACKEND may name it
  const std::string folder = argv[1];
  keras::utils::set_random_seed(7);
  keras::backend::set_num_threads(1);  // the same arithmetic in every run
  auto model = test_support::resumable_model();
  auto [x, y] = test_support::resumable_data();
  model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 1e-3}),
                 .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.fit(x, y, {.batch_size = 32, .epochs = std::stoi(argv[2]), .verbose = 0,
                   .callbacks = {keras::callbacks::BackupAndRestore(folder + "/backup"),
                                 keras::callbacks::ModelCheckpoint(folder + "/checkpoint.{epoch:02d}.keras")}});
  model.save_weights(folder + "/final.weights.h5");
  std::cout << "finished\n";
  return 0;
}
