// Throughput of ImageDataGenerator.flow on 32x32x3 images with the source documents'
// augmentations, on one thread and through fit's worker threads (images/second).
//   seed 004: shear, zoom, horizontal flip, featurewise center, width shift (the document names
//             them without values; we use shear 0.2, zoom 0.2, width shift 0.1)
//   seed 000: featurewise standardization, horizontal flip, 4-pixel zero padding with random
//             32x32 crops (width/height shift of 4 pixels, constant fill 0)
// Usage: image_generator_bench [--batch-size N] [--batches N]
#include <chrono>
#include <cstdio>
#include <thread>

#include "apps/common/cli.hpp"
#include "keras/keras.hpp"
#include "src/models/prefetcher.hpp"

namespace {
using Clock = std::chrono::steady_clock;
using keras::preprocessing::ImageDataGenerator;

double images_per_second(keras::utils::Sequence& flow, std::int64_t batches, std::int64_t batch_size, int workers) {
  const auto start = Clock::now();
  if (workers == 1) {
    for (std::int64_t b = 0; b < batches; ++b) flow.get(static_cast<std::size_t>(b) % flow.size());
  } else {
    keras::internal::Prefetcher ahead(flow, 0, static_cast<std::size_t>(batches), workers, 2 * workers);
    for (std::int64_t b = 0; b < batches; ++b) ahead.next();
  }
  return static_cast<double>(batches * batch_size) / std::chrono::duration<double>(Clock::now() - start).count();
}

void run(const char* label, ImageDataGenerator gen, const keras::Tensor& x, const keras::Tensor& y,
         std::int64_t batch_size, std::int64_t batches) {
  gen.fit(x);
  auto flow = gen.flow(x, y, {.batch_size = batch_size, .seed = 1});
  flow.get(0);  // warm-up
  const double one = images_per_second(flow, batches, batch_size, 1);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const double all = images_per_second(flow, batches, batch_size, cores);
  std::printf("%-10s 1 thread: %8.0f img/s   %d threads: %8.0f img/s   16 cores at the 1-thread rate: %8.0f img/s\n",
              label, one, cores, all, 16 * one);
}
}  // namespace

int main(int argc, char** argv) {
  const auto args = apps::parse_args(argc, argv, "image_generator_bench: ImageDataGenerator throughput",
                                     {{"batches", "N  batches timed per configuration (default 50)"}});
  const std::int64_t batch_size = args.batch_size > 0 ? args.batch_size : 64;
  const std::int64_t batches = args.extra.count("batches") ? apps::parse_positive("--batches", args.extra.at("batches")) : 50;
  const keras::Tensor x = keras::random::uniform({512, 32, 32, 3}, {.seed = 1});
  const keras::Tensor y = keras::random::randint({512}, 0, 100, {.seed = 2});
  run("seed 004", ImageDataGenerator({.featurewise_center = true, .width_shift_range = 0.1, .shear_range = 0.2,
                                      .zoom_range = 0.2, .horizontal_flip = true}),
      x, y, batch_size, batches);
  run("seed 000", ImageDataGenerator({.featurewise_center = true, .featurewise_std_normalization = true,
                                      .width_shift_range = 4, .height_shift_range = 4, .fill_mode = "constant",
                                      .cval = 0.0, .horizontal_flip = true}),
      x, y, batch_size, batches);
  return 0;
}
