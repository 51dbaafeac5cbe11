// Times the seed models on CIFAR-shaped random inputs: seed 003's CNN (batch 50), seed 004's
// VGG9 (batch 64), seed 002's ResNet and a ResNet-18 for CIFAR (batch 64), or every one at
// --batch-size. Inference (forward) and a full training step (forward, backward of the sparse
// cross-entropy, Adam update: train_on_batch). Prints images/second and, for the Sequential
// models, the training step's achieved GFLOP/s (convolutions and matrix products only;
// bench/pytorch_seed_models.py --flops counts every model). With --peak the matrix-product
// peak of the active backend (a 2048^3 gemm) in float32 and bfloat16 (and float16 on cuda). With
// --memory it prints instead the peak tensor memory of one VGG9 training step (batch 64) beyond
// its weights and optimizer slots, under float32, mixed_bfloat16 and mixed_float16.
// --model overhead times a toy-sized VGG9 (batch 2, 8x8 images) whose step is the framework's
// own per-step cost; each line ends with the training step's time. --loop fit times fit() over
// the batches instead of one train_on_batch per step (see Loop below); --jit-compile no turns off
// the replay of a recorded step (CUDA graphs) that fit uses by default on the cuda backend.
// Usage: model_step_bench [--backend NAME] [--threads N] [--precision POLICY] [--batch-size N]
//                         [--iterations N] [--model cnn|vgg9|resnet|resnet18|overhead|both|all]
//                         [--loop train_on_batch|fit] [--jit-compile yes|no] [--peak yes] [--memory yes]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "apps/cifar100_convnet/convnet_model.hpp"
#include "apps/cifar100_resnet/resnet_model.hpp"
#include "apps/cifar100_vgg9/vgg9_model.hpp"
#include "apps/common/cli.hpp"
#include "bench/resnet18_cifar.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Multiply-adds x 2 of one image's forward pass through the Conv2D and Dense layers, and of
// its training step: forward, backward weights, and backward data for every layer but the
// first (nothing needs the input's gradient).
struct Flops {
  double forward = 0, training = 0;
};

Flops count_flops(keras::Sequential& model, std::int64_t side) {
  Flops f;
  keras::Shape shape{1, side, side, 3};
  bool first = true;
  for (const auto& layer : model.layers()) {
    const keras::Shape out = layer->compute_output_shape({shape});
    double layer_flops = 0;
    if (auto* conv = dynamic_cast<keras::layers::Conv2DImpl*>(layer.get())) {
      const auto k = conv->kernel_size();
      layer_flops = 2.0 * static_cast<double>(out[1] * out[2] * out[3] * k.h * k.w * shape[3]);
    } else if (auto* dense = dynamic_cast<keras::layers::DenseImpl*>(layer.get())) {
      layer_flops = 2.0 * static_cast<double>(shape[shape.rank() - 1] * dense->units());
    }
    if (layer_flops > 0) {
      f.forward += layer_flops;
      f.training += layer_flops * (first ? 2 : 3);
      first = false;
    }
    shape = out;
  }
  return f;
}

// How the steps are timed. train_on_batch: each training step returns its loss to the host
// and each inference batch its outputs (Keras' train_on_batch and predict_on_batch), so every
// step ends with a synchronization. fit: one fit() over `iterations` batches, and one
// predict() over as many for inference, each timed loop synchronizing once at its end, as
// PyTorch's loop in pytorch_seed_models.py does; on a device backend the host then enqueues
// the next step while the device runs this one (and replays recorded steps, jit_compile).
enum class Loop { train_on_batch, fit };
Loop g_loop = Loop::train_on_batch;
// compile(jit_compile): on a backend that records steps (cuda), whether fit replays a CUDA graph
// of the step (docs/decisions.md, "jit_compile"); no effect on host backends.
bool g_jit_compile = true;

// flops: per image, 0 when not counted here. side: the images' height and width.
void bench(const char* label, keras::Model& model, const Flops& flops, std::int64_t batch, int iterations,
           std::int64_t side = 32) {
  const bool fit_loop = g_loop == Loop::fit;
  const std::int64_t rows = fit_loop ? batch * iterations : batch;
  const keras::Tensor x_all = keras::random::uniform({rows, side, side, 3}, {.seed = 1});
  const keras::Tensor y_all = keras::random::randint({rows}, 0, 100, {.seed = 2});
  const keras::Tensor x = fit_loop ? x_all.slice(0, batch) : x_all, y = fit_loop ? y_all.slice(0, batch) : y_all;
  model.compile({.optimizer = keras::optimizers::Adam(),
                 .loss = "sparse_categorical_crossentropy",
                 .jit_compile = g_jit_compile});
  keras::Backend& be = keras::backend::get();
  const keras::FitOptions one_pass{.batch_size = batch, .epochs = 1, .verbose = 0, .shuffle = false};
  const keras::PredictOptions predict_batches{.batch_size = batch, .verbose = 0};
  // Warm-up: first-touch allocations, primitive creation; for predict two batches, so that a
  // recording backend records the model call before the timing.
  if (fit_loop) {
    model.predict(x_all.slice(0, std::min(rows, 2 * batch)), predict_batches);
  } else {
    model.predict_on_batch(x);
  }
  be.synchronize();
  auto start = Clock::now();
  if (fit_loop) {
    model.predict(x_all, predict_batches);
  } else {
    for (int i = 0; i < iterations; ++i) model.predict_on_batch(x);
  }
  be.synchronize();
  const double infer = seconds_since(start) / iterations;
  double step = 0;
  if (fit_loop) {
    // Warm-up: two steps, so that a recording backend records the step before the timing.
    model.fit(x_all.slice(0, std::min(rows, 2 * batch)), y_all.slice(0, std::min(rows, 2 * batch)), one_pass);
    start = Clock::now();
    model.fit(x_all, y_all, one_pass);  // its logs are read at the end: one synchronization
    step = seconds_since(start) / iterations;
  } else {
    model.train_on_batch(x, y);
    start = Clock::now();
    for (int i = 0; i < iterations; ++i) model.train_on_batch(x, y);
    step = seconds_since(start) / iterations;
  }
  std::printf("%-36s batch %3lld  inference %9.1f img/s  training step %9.1f img/s", label,
              static_cast<long long>(batch), batch / infer, batch / step);
  if (flops.training > 0) std::printf("  (%.1f GFLOP/s)", flops.training * static_cast<double>(batch) / step / 1e9);
  std::printf("  (%.1f us per step)\n", step * 1e6);
}

void bench(const char* label, keras::Sequential model, std::int64_t batch, int iterations, std::int64_t side = 32) {
  const Flops flops = count_flops(model, side);
  bench(label, model, flops, batch, iterations, side);
}

// Seed 004's VGG9 layer for layer (dropout, six relu convolutions, three pools, three Dense)
// at toy width on 8x8 images: its step is almost no arithmetic, so its time is the framework's
// own per-step cost (autograd, dispatch, allocation, kernel launches). The same probe is in
// pytorch_seed_models.py.
keras::Sequential make_overhead_probe() {
  using namespace keras::layers;
  auto conv = [] { return Conv2D(4, 3, {.padding = "same", .activation = "relu"}); };
  return keras::Sequential({Input({8, 8, 3}), Dropout(0.2f), conv(), conv(), MaxPooling2D(2), conv(), conv(),
                            MaxPooling2D(2), conv(), conv(), MaxPooling2D(2), Flatten(),
                            Dense(8, {.activation = "relu"}), Dropout(0.5f), Dense(8, {.activation = "relu"}),
                            Dropout(0.5f), Dense(100, {.activation = "softmax"})});
}

// The active backend's gemm on square matrices: the matrix-product ceiling of this machine.
void gemm_peak(keras::DType dtype) {
  using keras::internal::raw_data;
  const std::int64_t n = 2048;
  keras::Backend& be = keras::backend::get();
  const keras::Tensor a = keras::Tensor::full({n, n}, 0.5f, dtype), b = keras::Tensor::full({n, n}, 0.25f, dtype);
  const keras::Tensor c = keras::Tensor::empty({n, n}, dtype);
  const auto run = [&] { be.gemm(false, false, n, n, n, 1.0f, raw_data(a), raw_data(b), 0.0f, raw_data(c), dtype); };
  run();
  be.synchronize();
  const int repeats = 5;
  const auto start = Clock::now();
  for (int i = 0; i < repeats; ++i) run();
  be.synchronize();
  const double seconds = seconds_since(start) / repeats;
  std::printf("gemm peak %-9s 2048x2048x2048: %.1f GFLOP/s\n", keras::to_string(dtype).c_str(),
              2.0 * static_cast<double>(n * n * n) / seconds / 1e9);
}

// Peak tensor bytes of a VGG9 training step beyond what lives between steps.
void step_memory(const std::string& policy) {
  keras::mixed_precision::set_global_policy(policy);
  keras::Sequential model = apps::make_vgg9();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  const keras::Tensor x = keras::random::uniform({64, 32, 32, 3}, {.seed = 1});
  const keras::Tensor y = keras::Tensor::from_vector(std::vector<std::int32_t>(64, 3), {64});
  model.train_on_batch(x, y);  // creates the optimizer's slots
  keras::Backend& be = keras::backend::get();
  be.synchronize();
  const std::int64_t between_steps = be.memory_stats().live_bytes;
  double saved = 0.0;
  {  // what a training forward pass keeps for the backward pass (activations, 16-bit weight copies)
    const keras::Tensor out = model(x, true);
    be.synchronize();
    saved = static_cast<double>(be.memory_stats().live_bytes - between_steps);
  }
  be.reset_peak_memory();
  model.train_on_batch(x, y);
  be.synchronize();
  const double step = static_cast<double>(be.memory_stats().peak_bytes - between_steps);
  std::printf("VGG9 training step, batch 64, %-15s peak tensor memory beyond weights and slots: %8.1f MiB;"
              " kept by the forward pass: %6.1f MiB (weights and slots: %.1f MiB)\n",
              policy.c_str(), step / 1048576.0, saved / 1048576.0, static_cast<double>(between_steps) / 1048576.0);
  keras::mixed_precision::set_global_policy("float32");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto args = apps::parse_args(argc, argv, "model_step_bench: images/second of seed models",
                                       {{"iterations", "N  timed repetitions (default 3)"},
                                        {"model", "cnn|vgg9|resnet|resnet18|overhead|both|all (default both: cnn and vgg9)"},
                                        {"peak", "yes  also time the backend's gemm peak"},
                                        {"loop", "train_on_batch|fit  how steps are timed (default train_on_batch)"},
                                        {"jit-compile", "yes|no  replay a recorded step where the backend can (default yes)"},
                                        {"memory", "yes  only measure a VGG9 step's peak tensor memory"}});
    apps::select_backend(args);
    const int iterations = args.extra.count("iterations")
                               ? static_cast<int>(apps::parse_positive("--iterations", args.extra.at("iterations")))
                               : 3;
    const std::string which = args.extra.count("model") ? args.extra.at("model") : "both";
    const std::string loop = args.extra.count("loop") ? args.extra.at("loop") : "train_on_batch";
    if (loop != "train_on_batch" && loop != "fit") {
      std::cerr << "error: --loop must be train_on_batch or fit, got '" << loop << "'\n";
      return 2;
    }
    g_loop = loop == "fit" ? Loop::fit : Loop::train_on_batch;
    if (args.extra.count("jit-compile")) {
      const std::string jit = args.extra.at("jit-compile");
      if (jit != "yes" && jit != "no") {
        std::cerr << "error: --jit-compile must be yes or no, got '" << jit << "'\n";
        return 2;
      }
      g_jit_compile = jit == "yes";
    }
    if (which != "cnn" && which != "vgg9" && which != "resnet" && which != "resnet18" && which != "overhead" &&
        which != "both" && which != "all") {
      std::cerr << "error: --model must be cnn, vgg9, resnet, resnet18, overhead, both (cnn and vgg9) or all, got '"
                << which << "'\n";
      return 2;
    }
    const auto wanted = [&](const std::string& model) {
      return which == model || which == "all" || (which == "both" && (model == "cnn" || model == "vgg9"));
    };
    const auto batch = [&](std::int64_t model_default) { return args.batch_size > 0 ? args.batch_size : model_default; };
    if (args.extra.count("memory")) {
      for (const char* policy : {"float32", "mixed_bfloat16", "mixed_float16"}) step_memory(policy);
      return 0;
    }
    if (wanted("cnn")) bench("seed 003 CIFAR CNN (270,372 params)", apps::make_convnet(), batch(50), iterations);
    if (wanted("vgg9")) bench("seed 004 VGG9 (13,870,484 params)", apps::make_vgg9(), batch(64), iterations);
    if (wanted("resnet")) {
      keras::Model model = apps::make_resnet();
      bench("seed 002 ResNet (46,203,236 params)", model, {}, batch(64), iterations);
    }
    if (wanted("resnet18")) {
      keras::Model model = bench_models::make_resnet18_cifar();
      bench("ResNet-18 CIFAR (11.2M params)", model, {}, batch(64), iterations);
    }
    if (wanted("overhead")) {
      // Steps of a few microseconds of arithmetic: 100 times the repetitions for a stable time.
      bench("VGG9-shaped overhead probe (8x8, toy)", make_overhead_probe(), batch(2), iterations * 100, 8);
    }
    if (args.extra.count("peak")) {
      gemm_peak(keras::float32);
      gemm_peak(keras::bfloat16);
      if (keras::backend::get().device().kind == keras::DeviceKind::cuda) gemm_peak(keras::float16);
    }
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
