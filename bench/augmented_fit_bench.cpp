// Seed 004's VGG9 training through fit, without augmentation and with seed 004's
// ImageDataGenerator read by fit's worker threads (workers = 2): what the data workers cost
// the training run when they share its cores. On a device backend the generator's flow keeps the
// images there and augments each batch on the device; the host flow (device_augmentation =
// false: augmented on the host, uploaded) is timed too. Random CIFAR-shaped images; img/s and
// seconds per epoch of the timed epochs (the first epoch warms up), with --validation N images
// evaluated after each epoch as seed 004's recipe does (40,000 and 10,000 there).
// Usage: augmented_fit_bench [--backend NAME] [--threads N] [--images N] [--validation N] [--epochs N]
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "apps/cifar100_vgg9/vgg9_model.hpp"
#include "apps/common/cli.hpp"
#include "keras/keras.hpp"

namespace {
using Clock = std::chrono::steady_clock;

keras::Sequential compiled_vgg9() {
  keras::Sequential model = apps::make_vgg9();
  model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 1e-4}), .loss = "sparse_categorical_crossentropy"});
  return model;
}

// Seconds per timed epoch.
template <class Fit>
double seconds_per_epoch(int epochs, Fit fit) {
  fit(1);  // warm-up: primitives created, blocks cached
  const auto start = Clock::now();
  fit(epochs);
  return std::chrono::duration<double>(Clock::now() - start).count() / epochs;
}
}  // namespace

int main(int argc, char** argv) {
  const auto args = apps::parse_args(argc, argv, "augmented_fit_bench: VGG9 fit with and without seed 004's ImageDataGenerator",
                                     {{"images", "N  training images (default 512)"},
                                      {"validation", "N  validation images evaluated after each epoch (default 0)"},
                                      {"epochs", "N  timed epochs (default 2)"}});
  apps::select_backend(args);
  const std::int64_t images = args.extra.count("images") ? apps::parse_positive("--images", args.extra.at("images")) : 512;
  const std::int64_t validation =
      args.extra.count("validation") ? apps::parse_positive("--validation", args.extra.at("validation"), true) : 0;
  const int epochs = static_cast<int>(args.extra.count("epochs") ? apps::parse_positive("--epochs", args.extra.at("epochs")) : 2);
  const keras::Tensor x = keras::random::uniform({images, 32, 32, 3}, {.seed = 1});
  const keras::Tensor y = keras::random::randint({images}, 0, 100, {.seed = 2});
  std::optional<keras::ValidationData> val;
  if (validation > 0) {
    val = keras::ValidationData(keras::random::uniform({validation, 32, 32, 3}, {.seed = 4}),
                                keras::random::randint({validation}, 0, 100, {.seed = 5}));
  }
  const auto report = [&](const char* what, double seconds) {
    std::printf("seed 004 VGG9 fit, batch 64, %lld images%s, %-58s %8.1f img/s  %7.2f s/epoch\n",
                static_cast<long long>(images),
                validation > 0 ? (" + " + std::to_string(validation) + " validated").c_str() : "", what,
                static_cast<double>(images) / seconds, seconds);
    return seconds;
  };

  keras::Sequential plain = compiled_vgg9();
  const double without = report("no augmentation:", seconds_per_epoch(epochs, [&](int e) {
    plain.fit(x, y, {.batch_size = 64, .epochs = e, .verbose = 0, .validation_data = val});
  }));
  keras::preprocessing::ImageDataGenerator gen({.featurewise_center = true, .width_shift_range = 0.1,
                                                .shear_range = 0.2, .zoom_range = 0.2, .horizontal_flip = true});
  gen.fit(x);
  const bool device = !keras::backend::get().host_addressable();
  for (const bool on_device : device ? std::vector<bool>{true, false} : std::vector<bool>{false}) {
    auto flow = gen.flow(x, y, {.batch_size = 64, .seed = 3, .device_augmentation = on_device});
    keras::Sequential augmented = compiled_vgg9();
    const double with = report(on_device ? "ImageDataGenerator (seed 004) augmenting on the device:"
                                         : "ImageDataGenerator (seed 004) on the host, workers = 2:",
                               seconds_per_epoch(epochs, [&](int e) {
                                 augmented.fit(flow, {.epochs = e, .verbose = 0, .validation_data = val, .workers = 2});
                               }));
    std::printf("  augmented / plain time per epoch: %.2fx\n", with / without);
  }
  return 0;
}
