// Times seed 003's CIFAR CNN (batch 50) and seed 004's VGG9 (batch 64) on CIFAR-shaped
// random inputs: inference (forward) and a full training step (forward, backward of the sparse
// cross-entropy, Adam update: train_on_batch). Prints images/second. Usage: model_step_bench
// [--backend NAME] [--iterations N] [--model cnn|vgg9|both]
#include <chrono>
#include <cstdio>
#include <iostream>

#include "apps/cifar100_cnn/cnn_model.hpp"
#include "apps/cifar100_vgg9/vgg9_model.hpp"
#include "apps/common/cli.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void bench(const char* label, keras::Sequential model, std::int64_t batch, int iterations) {
  const keras::Tensor x = keras::random::uniform({batch, 32, 32, 3}, {.seed = 1});
  const keras::Tensor y = keras::random::randint({batch}, 0, 100, {.seed = 2});
  model.compile({.optimizer = keras::optimizers::Adam(), .loss = "sparse_categorical_crossentropy"});
  auto forward = [&] { return model.predict_on_batch(x).size(); };
  auto training_step = [&] { return model.train_on_batch(x, y).size(); };
  forward();  // warm-up: first-touch allocations
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) forward();
  const double infer = seconds_since(start) / iterations;
  training_step();
  start = Clock::now();
  for (int i = 0; i < iterations; ++i) training_step();
  const double step = seconds_since(start) / iterations;
  std::printf("%-34s batch %3lld  inference %9.1f img/s  training step %9.1f img/s\n", label,
              static_cast<long long>(batch), batch / infer, batch / step);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto args = apps::parse_args(argc, argv, "model_step_bench: images/second of seed models",
                                       {{"iterations", "N  timed repetitions (default 3)"},
                                        {"model", "cnn|vgg9|both (default both)"}});
    apps::select_backend(args);
    const int iterations = args.extra.count("iterations")
                               ? static_cast<int>(apps::parse_positive("--iterations", args.extra.at("iterations")))
                               : 3;
    const std::string which = args.extra.count("model") ? args.extra.at("model") : "both";
    if (which != "cnn" && which != "vgg9" && which != "both") {
      std::cerr << "error: --model must be cnn, vgg9 or both, got '" << which << "'\n";
      return 2;
    }
    if (which != "vgg9") bench("seed 003 CIFAR CNN (270,372 params)", apps::make_cifar_cnn(), 50, iterations);
    if (which != "cnn") bench("seed 004 VGG9 (13,870,484 params)", apps::make_vgg9(), 64, iterations);
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
