// A checkpoint written on one backend resumes on another: a .keras file holds the weights, the
// BatchNormalization statistics and the optimizer's state, so training stopped on cpu and resumed
// on a device continues as the uninterrupted run does, and a file written on the device reloads
// on cpu with the same values. Always on the emulated device; on cuda where the machine has a GPU.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "support/active_backend.hpp"
#include "support/temp_path.hpp"
#include "support/weight_comparison.hpp"

using namespace keras;
using namespace keras::layers;
using test_support::ActiveBackend;
using test_support::flat_weights;
using test_support::max_relative_difference;

namespace {

Sequential make_model() {
  Sequential model({Input({8, 8, 1}), Conv2D(4, 3, {.activation = "relu"}), BatchNormalization(), MaxPooling2D(2),
                    Flatten(), Dense(3, {.activation = "softmax"})});
  model.compile({.optimizer = optimizers::Adam({.learning_rate = 0.01}), .loss = "sparse_categorical_crossentropy"});
  return model;
}

// Batch `step`'s images and labels, made on the active backend from host values.
std::pair<Tensor, Tensor> batch(int step) {
  std::vector<float> pixels(16 * 64);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::sin(0.37f * static_cast<float>(i) + static_cast<float>(step));
  std::vector<std::int32_t> labels(16);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>((i + step) % 3);
  return {Tensor::from_vector(pixels, {16, 8, 8, 1}), Tensor::from_vector(labels, {16})};
}

void train(Model& model, int from, int to) {
  for (int step = from; step < to; ++step) {
    const auto [x, y] = batch(step);
    model.train_on_batch(x, y);
  }
}

void check_resume_on(const std::string& device) {
  CAPTURE(device);
  const auto on_cpu = test_support::temp_path("checkpoint_cpu.keras");
  const auto on_device = test_support::temp_path("checkpoint_device.keras");
  std::vector<float> uninterrupted;
  {
    ActiveBackend cpu("cpu");
    utils::set_random_seed(11);
    Sequential model = make_model();
    train(model, 0, 4);
    uninterrupted = flat_weights(model);
    utils::set_random_seed(11);
    Sequential first_half = make_model();
    train(first_half, 0, 2);
    first_half.save(on_cpu.string());
  }
  std::vector<float> resumed;
  {
    ActiveBackend dev(device);
    Model model = models::load_model(on_cpu.string());
    CHECK(model.optimizer()->iterations() == 2);
    train(model, 2, 4);
    resumed = flat_weights(model);
    model.save(on_device.string());
  }
  // Four Adam steps, two on each backend: float32 sums in another order on the device.
  CHECK(max_relative_difference(resumed, uninterrupted) < 1e-4);
  {
    ActiveBackend cpu("cpu");
    Model model = models::load_model(on_device.string());
    CHECK(model.optimizer()->iterations() == 4);
    CHECK(flat_weights(model) == resumed);  // the file carries the device's values exactly
  }
  std::filesystem::remove(on_cpu);
  std::filesystem::remove(on_device);
}

}  // namespace

TEST_CASE("a checkpoint written on cpu resumes on a device backend, and the device's checkpoint reloads on cpu") {
#ifndef KERASCPP_TEST_CPU_BACKEND
  MESSAGE("SKIPPED: this build has no cpu backend");
  return;
#endif
  check_resume_on("emulated_device");
  const auto names = backend::available();
  if (std::find(names.begin(), names.end(), "cuda") == names.end()) {
    MESSAGE("SKIPPED the cuda half: no CUDA device on this machine");
    return;
  }
  check_resume_on("cuda");
}
