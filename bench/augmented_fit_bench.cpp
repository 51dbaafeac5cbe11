// Seed 004's VGG9 training through fit, without augmentation and with seed 004's
// ImageDataGenerator read by fit's worker threads (workers = 2): what the data workers cost
// the training run when they share its cores. Random CIFAR-shaped images; img/s of the timed
// epochs (the first epoch warms up).
// Usage: augmented_fit_bench [--backend NAME] [--threads N] [--images N] [--epochs N]
#include <chrono>
#include <cstdio>

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

template <class Fit>
double images_per_second(std::int64_t images, int epochs, Fit fit) {
  fit(1);  // warm-up: primitives created, blocks cached
  const auto start = Clock::now();
  fit(epochs);
  return static_cast<double>(images * epochs) / std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

int main(int argc, char** argv) {
  const auto args = apps::parse_args(argc, argv, "augmented_fit_bench: VGG9 fit with and without seed 004's ImageDataGenerator",
                                     {{"images", "N  training images (default 512)"}, {"epochs", "N  timed epochs (default 2)"}});
  const std::int64_t images = args.extra.count("images") ? apps::parse_positive("--images", args.extra.at("images")) : 512;
  const int epochs = static_cast<int>(args.extra.count("epochs") ? apps::parse_positive("--epochs", args.extra.at("epochs")) : 2);
  const keras::Tensor x = keras::random::uniform({images, 32, 32, 3}, {.seed = 1});
  const keras::Tensor y = keras::random::randint({images}, 0, 100, {.seed = 2});

  keras::Sequential plain = compiled_vgg9();
  const double without = images_per_second(images, epochs, [&](int e) {
    plain.fit(x, y, {.batch_size = 64, .epochs = e, .verbose = 0});
  });
  keras::preprocessing::ImageDataGenerator gen({.featurewise_center = true, .width_shift_range = 0.1,
                                                .shear_range = 0.2, .zoom_range = 0.2, .horizontal_flip = true});
  gen.fit(x);
  auto flow = gen.flow(x, y, {.batch_size = 64, .seed = 3});
  keras::Sequential augmented = compiled_vgg9();
  const double with = images_per_second(images, epochs, [&](int e) {
    augmented.fit(flow, {.epochs = e, .verbose = 0, .workers = 2});
  });
  std::printf("seed 004 VGG9 fit, batch 64, %lld images: no augmentation %.1f img/s; "
              "ImageDataGenerator (seed 004) with workers = 2: %.1f img/s (%.2fx)\n",
              static_cast<long long>(images), without, with, with / without);
  return 0;
}
