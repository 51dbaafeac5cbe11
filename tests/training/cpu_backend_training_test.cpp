// Real-data checks of the CPU backend (issue: "switching backends is one flag"): the
// Fashion-MNIST demo model learns the same on the reference and cpu backends, and the
// mixed_bfloat16 and mixed_float16 policies cost at most one point of accuracy on the CNN. Timings are reported,
// never asserted.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "keras/keras.hpp"

using namespace keras;
using namespace keras::layers;

#ifdef KERASCPP_TEST_CPU_BACKEND

namespace {

struct Scores {
  double accuracy, seconds;
};

// Restores the backend and dtype policy a test changed.
struct SettingsGuard {
  std::string backend_name = backend::active_name();
  mixed_precision::DTypePolicy policy = mixed_precision::global_policy();
  ~SettingsGuard() {
    backend::set(backend_name);
    mixed_precision::set_global_policy(policy);
  }
};

Scores train_and_evaluate(const std::string& backend_name, const std::string& policy,
                          bool convolutional, int epochs) {
  backend::set(backend_name);
  mixed_precision::set_global_policy(policy);
  utils::set_random_seed(7);
  auto [train, test] = datasets::fashion_mnist::load_data();
  const Tensor x_train = train.x.astype(float32) / 255.0f, x_test = test.x.astype(float32) / 255.0f;
  Sequential model = convolutional
      ? Sequential({Input({28, 28}), Reshape({28, 28, 1}),
                    Conv2D(16, 3, {.activation = "relu"}), MaxPooling2D(2),
                    Conv2D(32, 3, {.activation = "relu"}), MaxPooling2D(2),
                    Flatten(), Dense(128, {.activation = "relu"}), Dense(10, {.activation = "softmax"})})
      : Sequential({Input({28, 28}), Flatten(), Dense(128, {.activation = "relu"}),
                    Dense(10, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  const auto start = std::chrono::steady_clock::now();
  model.fit(x_train, train.y, {.batch_size = 64, .epochs = epochs, .verbose = 0});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {model.evaluate(x_test, test.y, {.verbose = 0}).at("accuracy"), seconds};
}

}  // namespace

TEST_SUITE_BEGIN("slow");

TEST_CASE("the Fashion-MNIST MLP learns the same on --backend reference and --backend cpu") {
  SettingsGuard guard;
  const Scores reference = train_and_evaluate("reference", "float32", false, 3);
  const Scores cpu = train_and_evaluate("cpu", "float32", false, 3);
  MESSAGE("MLP, 3 epochs: reference accuracy " << reference.accuracy << " in " << reference.seconds
          << " s; cpu accuracy " << cpu.accuracy << " in " << cpu.seconds << " s");
  CHECK(std::fabs(reference.accuracy - cpu.accuracy) <= 0.005);
  CHECK(cpu.accuracy >= 0.84);
}

TEST_CASE("mixed_bfloat16 and mixed_float16 training stay within one point of float32 on the Fashion-MNIST CNN") {
  SettingsGuard guard;
  const Scores f32 = train_and_evaluate("cpu", "float32", true, 4);
  const Scores bf16 = train_and_evaluate("cpu", "mixed_bfloat16", true, 4);
  const Scores f16 = train_and_evaluate("cpu", "mixed_float16", true, 4);  // with dynamic loss scaling
  MESSAGE("CNN, 4 epochs on cpu: float32 accuracy " << f32.accuracy << " in " << f32.seconds
          << " s; mixed_bfloat16 accuracy " << bf16.accuracy << " in " << bf16.seconds
          << " s; mixed_float16 accuracy " << f16.accuracy << " in " << f16.seconds << " s");
  CHECK(std::fabs(f32.accuracy - bf16.accuracy) <= 0.01);
  CHECK(std::fabs(f32.accuracy - f16.accuracy) <= 0.01);
  CHECK(bf16.accuracy >= 0.88);
  CHECK(f16.accuracy >= 0.88);
}

TEST_SUITE_END();

#endif
