// ImageDataGenerator.flow on a device: the images stay in device memory (uint8 as given), and
// each batch is gathered and augmented there by Backend::augment_images. Run on the emulated
// device (a GPU's rules on the host): the batches must be the host flow's, bit for bit, must
// follow the generator's distributions, and must not make the host wait on the device.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include "keras/keras.hpp"
#include "support/active_backend.hpp"
#include "support/weight_comparison.hpp"

using namespace keras;
using preprocessing::ImageDataGenerator;
using preprocessing::ImageDataGeneratorOptions;
using test_support::ActiveBackend;

namespace {

// n images (h, w, c) of pixel levels with some structure (not uniform noise), as uint8.
Tensor pixel_images(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(n * h * w * c));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>((i * 37 + i / 97 * 11) % 256);
  return Tensor::from_vector(v, {n, h, w, c});
}

std::vector<float> all_batches(preprocessing::NumpyArrayIterator flow, int epochs) {
  std::vector<float> out;
  for (int e = 0; e < epochs; ++e) {
    for (std::size_t b = 0; b < flow.size(); ++b) {
      const utils::Batch batch = flow.get(b);
      for (const Tensor& t : {batch.x.front(), batch.y.front()}) {
        const auto v = t.to_vector<float>();
        out.insert(out.end(), v.begin(), v.end());
      }
    }
    flow.on_epoch_end();
  }
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("a device flow gives the host flow's batches bit for bit: seed 000's and seed 004's augmentations") {
  const Tensor pixels = pixel_images(40, 12, 10, 3);
  const Tensor labels = Tensor::full({40}, 2.0f);
  struct Case {
    const char* name;
    ImageDataGeneratorOptions options;
  };
  const std::vector<Case> cases = {
      {"seed 000: featurewise center and std, 4-pixel shifts with zero fill, flips",
       {.featurewise_center = true, .featurewise_std_normalization = true,
        .width_shift_range = {-4, -3, -2, -1, 0, 1, 2, 3, 4}, .height_shift_range = {-4, -3, -2, -1, 0, 1, 2, 3, 4},
        .fill_mode = "constant", .horizontal_flip = true}},
      {"seed 004: featurewise center, shift 0.1, shear 10, zoom 0.1, flips",
       {.featurewise_center = true, .width_shift_range = 0.1, .shear_range = 10.0, .zoom_range = 0.1,
        .horizontal_flip = true}},
      {"rotation, reflect, nearest-neighbour, vertical flips, rescale, bfloat16",
       {.rotation_range = 30.0, .fill_mode = "reflect", .vertical_flip = true, .rescale = 1.0 / 255.0,
        .interpolation_order = 0, .dtype = bfloat16}},
      {"wrap, float16, cval ignored", {.height_shift_range = 0.3, .fill_mode = "wrap", .cval = 9.0, .dtype = float16}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    for (const DType source : {uint8, float32}) {
      CAPTURE(to_string(source));
      const Tensor x = source == uint8 ? pixels : pixels.astype(float32);
      ImageDataGenerator generator(c.options);
      generator.fit(pixels.astype(float32));
      const preprocessing::FlowOptions flow{.batch_size = 16, .seed = 7};
      std::vector<float> host, device;
      {
        ActiveBackend cpu(backend::host().name());
        host = all_batches(generator.flow(x, labels, flow), 2);
      }
      {
        ActiveBackend emulated("emulated_device");
        device = all_batches(generator.flow(x, labels, flow), 2);
      }
      CHECK(host.size() == static_cast<std::size_t>(2 * 40 * (12 * 10 * 3 + 1)));
      CHECK(same_bits(device, host));
    }
  }
}

TEST_CASE("device augmentation follows the generator's distributions: flip rate, shift range, zero fill") {
  ActiveBackend emulated("emulated_device");
  // Channel 0 holds 1 + column, channel 1 holds 1 + row: each output image shows its own flip
  // and shifts.
  const std::int64_t n = 2048, side = 32;
  std::vector<std::uint8_t> v(static_cast<std::size_t>(n * side * side * 2));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t r = 0; r < side; ++r)
      for (std::int64_t c = 0; c < side; ++c) {
        const auto at = static_cast<std::size_t>(((i * side + r) * side + c) * 2);
        v[at] = static_cast<std::uint8_t>(1 + c), v[at + 1] = static_cast<std::uint8_t>(1 + r);
      }
  const Tensor x = Tensor::from_vector(v, {n, side, side, 2});
  const Tensor y = Tensor::from_vector(std::vector<std::int32_t>(static_cast<std::size_t>(n), 0), {n});
  ImageDataGenerator generator({.width_shift_range = {-4, -3, -2, -1, 0, 1, 2, 3, 4},
                                .height_shift_range = {-4, -3, -2, -1, 0, 1, 2, 3, 4},
                                .fill_mode = "constant", .horizontal_flip = true});
  auto flow = generator.flow(x, y, {.batch_size = 256, .seed = 11});
  std::int64_t flipped = 0;
  std::map<int, int> column_shifts, row_shifts;
  for (std::size_t b = 0; b < flow.size(); ++b) {
    const auto out = flow.get(b).x.front().to_vector<float>();
    for (std::size_t i = 0; i < out.size() / static_cast<std::size_t>(side * side * 2); ++i) {
      const auto at = [&](std::int64_t r, std::int64_t c, std::int64_t ch) {
        return out[i * static_cast<std::size_t>(side * side * 2) + static_cast<std::size_t>((r * side + c) * 2 + ch)];
      };
      // The middle row and column are inside whatever the shift (at most 4 pixels).
      const bool flip = at(16, 17, 0) < at(16, 16, 0);
      flipped += flip;
      const int column_shift = static_cast<int>(at(16, 16, 0)) - (flip ? 16 : 17);
      const int row_shift = static_cast<int>(at(16, 16, 1)) - 17;
      ++column_shifts[column_shift];
      ++row_shifts[row_shift];
      int zero_columns = 0, zero_rows = 0;
      for (std::int64_t k = 0; k < side; ++k) zero_columns += at(16, k, 0) == 0.0f, zero_rows += at(k, 16, 1) == 0.0f;
      CHECK(zero_columns == std::abs(column_shift));  // the zero fill covers exactly what was shifted in
      CHECK(zero_rows == std::abs(row_shift));
      for (std::int64_t k = 0; k < side; ++k) {  // the rest is the source, moved
        const float level = at(16, k, 0);
        if (level != 0.0f) CHECK(level == static_cast<float>(1 + (flip ? side - 1 - k : k) + column_shift));
      }
    }
  }
  MESSAGE("flipped " << flipped << " of " << n);
  CHECK(std::abs(static_cast<double>(flipped) / n - 0.5) < 0.04);  // 4.6 standard deviations
  for (const auto* shifts : {&column_shifts, &row_shifts}) {
    CHECK(shifts->size() == 9);  // every shift of the list, nothing else
    for (const auto& [shift, count] : *shifts) {
      CAPTURE(shift);
      CHECK(std::abs(shift) <= 4);
      CHECK(std::abs(static_cast<double>(count) / n - 1.0 / 9.0) < 0.03);  // 4.3 standard deviations
    }
  }
}

TEST_CASE("a device flow's batches never make the host wait on the device") {
  ActiveBackend emulated("emulated_device");
  Backend& device = backend::get();
  const Tensor pixels = pixel_images(64, 8, 8, 3).clone(&device);
  const Tensor labels = Tensor::zeros({64, 5}, float32, &device);
  ImageDataGenerator generator({.featurewise_center = true, .rotation_range = 10.0, .horizontal_flip = true});
  generator.fit(pixel_images(64, 8, 8, 3).astype(float32));
  auto flow = generator.flow(pixels, labels, {.batch_size = 16, .seed = 1});
  const SyncCounts before = device.sync_counts();
  std::vector<Tensor> kept;
  for (std::size_t b = 0; b < flow.size(); ++b) kept.push_back(flow.get(b).x.front());
  const SyncCounts after = device.sync_counts();
  CHECK(after.synchronizations == before.synchronizations);
  CHECK(after.host_reads == before.host_reads);
  CHECK(&kept.front().backend() == &device);
  CHECK(kept.front().dtype() == float32);
}

TEST_CASE("fit on a device flow trains exactly as fit on the host flow of the same images") {
  ActiveBackend emulated("emulated_device");
  const Tensor pixels = pixel_images(48, 8, 8, 1);
  const Tensor labels = utils::to_categorical(
      Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0, 0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0,
                                                    0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0, 0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0},
                          {48}),
      3);
  ImageDataGenerator generator({.featurewise_center = true, .width_shift_range = {-2, -1, 0, 1, 2},
                                .fill_mode = "constant", .horizontal_flip = true, .rescale = 1.0 / 255.0});
  generator.fit(pixels.astype(float32));
  const auto train = [&](bool on_device) {
    utils::set_random_seed(5);
    Sequential model({layers::Input({8, 8, 1}), layers::Conv2D(4, 3, {.activation = "relu"}), layers::Flatten(),
                      layers::Dense(3, {.activation = "softmax"})});
    model.compile({.optimizer = "adam", .loss = "categorical_crossentropy"});
    auto flow = generator.flow(pixels, labels, {.batch_size = 16, .seed = 3, .device_augmentation = on_device});
    model.fit(flow, {.epochs = 2, .verbose = 0});
    return test_support::flat_weights(model);
  };
  const auto host = train(false), device = train(true);
  CHECK(same_bits(device, host));
}

TEST_CASE("options the device cannot run keep the flow on the host, with the same batches") {
  ImageDataGenerator generator({.channel_shift_range = 20.0, .horizontal_flip = true});
  CHECK_FALSE(generator.augments_on_device());
  CHECK(ImageDataGenerator({.featurewise_center = true, .shear_range = 5.0}).augments_on_device());
  CHECK_FALSE(ImageDataGenerator({.samplewise_center = true}).augments_on_device());
  const Tensor pixels = pixel_images(20, 6, 6, 3);
  const Tensor labels = Tensor::zeros({20, 2});
  std::vector<float> host, device;
  {
    ActiveBackend cpu(backend::host().name());
    host = all_batches(generator.flow(pixels, labels, {.batch_size = 8, .seed = 2}), 1);
  }
  {
    ActiveBackend emulated("emulated_device");
    device = all_batches(generator.flow(pixels, labels, {.batch_size = 8, .seed = 2}), 1);
  }
  CHECK(same_bits(device, host));
}
