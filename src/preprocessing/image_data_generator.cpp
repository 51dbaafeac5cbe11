// ImageDataGenerator's transforms with Keras' arithmetic (keras/src/legacy/preprocessing/
// image.py) and scipy.ndimage.affine_transform's sampling (ni_interpolation.c), on the host.
#include "keras/preprocessing/image_data_generator.hpp"

#include "keras/core/random.hpp"
#include "keras/internal/default_backend_scope.hpp"
#include "keras/internal/image_sampling.hpp"
#include "keras/internal/on_backend.hpp"
#include "keras/internal/zca_whitening.hpp"
#include "keras/ops/array.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numbers>
#include <numeric>
#include <string>

namespace keras::preprocessing {

namespace {

namespace image_sampling = internal::image_sampling;
using Matrix3 = std::array<std::array<double, 3>, 3>;

Matrix3 multiply(const Matrix3& a, const Matrix3& b) {
  Matrix3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
  return c;
}

ImageFill fill_of(const std::string& mode) {
  if (mode == "constant") return ImageFill::constant;
  if (mode == "nearest") return ImageFill::nearest;
  if (mode == "reflect") return ImageFill::reflect;
  if (mode == "wrap") return ImageFill::wrap;
  throw ValueError("ImageDataGenerator: fill_mode must be \"constant\", \"nearest\", \"reflect\" or \"wrap\", got \"" +
                   mode + "\"");
}

// Keras' transform matrix for `p` (rotation, shift, shear, zoom, in that order, about the
// image centre), as the source coordinates of each output pixel, and the flips.
ImageTransform transform_of(const TransformParameters& p, std::int64_t h, std::int64_t w) {
  std::optional<Matrix3> m;
  auto compose = [&](const Matrix3& next) { m = m ? multiply(*m, next) : next; };
  if (p.theta != 0) {
    const double t = p.theta * std::numbers::pi / 180.0;
    compose({{{std::cos(t), -std::sin(t), 0}, {std::sin(t), std::cos(t), 0}, {0, 0, 1}}});
  }
  if (p.tx != 0 || p.ty != 0) compose({{{1, 0, p.tx}, {0, 1, p.ty}, {0, 0, 1}}});
  if (p.shear != 0) {
    const double s = p.shear * std::numbers::pi / 180.0;
    compose({{{1, -std::sin(s), 0}, {0, std::cos(s), 0}, {0, 0, 1}}});
  }
  if (p.zx != 1 || p.zy != 1) compose({{{p.zx, 0, 0}, {0, p.zy, 0}, {0, 0, 1}}});
  ImageTransform t;
  t.flip_horizontal = p.flip_horizontal;
  t.flip_vertical = p.flip_vertical;
  if (!m) return t;
  const double ox = static_cast<double>(h) / 2 - 0.5, oy = static_cast<double>(w) / 2 - 0.5;
  Matrix3 c = multiply(multiply({{{1, 0, ox}, {0, 1, oy}, {0, 0, 1}}}, *m), {{{1, 0, -ox}, {0, 1, -oy}, {0, 0, 1}}});
  // Keras swaps x and y (its matrices are written for (x, y), arrays index (row, col)).
  for (auto& row : c) std::swap(row[0], row[1]);
  std::swap(c[0], c[1]);
  t.affine = true;
  t.m[0] = c[0][0], t.m[1] = c[0][1], t.m[2] = c[0][2];
  t.m[3] = c[1][0], t.m[4] = c[1][1], t.m[5] = c[1][2];
  return t;
}

std::vector<float> host_floats(const Tensor& t) {
  return (t.dtype() == float32 ? t : t.astype(float32)).to_vector<float>();
}

}  // namespace

ImageDataGenerator::ImageDataGenerator(ImageDataGeneratorOptions options)
    : o_(std::move(options)), rng_(static_cast<std::uint32_t>(random::next_seed())) {
  fill_of(o_.fill_mode);
  if (o_.interpolation_order != 0 && o_.interpolation_order != 1) {
    throw ValueError("ImageDataGenerator: interpolation_order " + std::to_string(o_.interpolation_order) +
                     " is not supported; use 0 (nearest) or 1 (bilinear)");
  }
  if (o_.brightness_range && o_.brightness_range->first > o_.brightness_range->second) {
    throw ValueError("ImageDataGenerator: brightness_range must be (low, high) with low <= high");
  }
  if (!is_floating(o_.dtype)) {
    throw ValueError("ImageDataGenerator: dtype must be a floating type (float32, bfloat16, float16), got " +
                     to_string(o_.dtype));
  }
  if (!(o_.validation_split >= 0.0 && o_.validation_split < 1.0)) {
    throw ValueError("ImageDataGenerator: validation_split must be in [0, 1)");
  }
  if (o_.zca_whitening && !o_.featurewise_center) o_.featurewise_center = true;  // as Keras does
}

TransformParameters ImageDataGenerator::get_random_transform(const Shape& shape, std::optional<std::uint32_t> seed) {
  if (seed) rng_.seed(*seed);
  return draw_transform(shape, rng_);
}

// Keras' get_random_transform, draw for draw (the flips draw even when disabled).
TransformParameters ImageDataGenerator::draw_transform(const Shape& shape, internal::NumpyRandomState& rng_) const {
  if (shape.rank() != 3) {
    throw ShapeError("ImageDataGenerator: expects one image (height, width, channels), got " + to_string(shape));
  }
  TransformParameters p;
  if (o_.rotation_range != 0) p.theta = rng_.uniform(-o_.rotation_range, o_.rotation_range);
  auto shift = [&](const ShiftRange& r, std::int64_t size) {
    if (!r.active()) return 0.0;
    double t;
    if (r.draws_from_list()) {
      t = r.choices()[rng_.interval(static_cast<std::uint32_t>(r.choices().size() - 1))];
      t *= rng_.interval(1) == 0 ? -1.0 : 1.0;  // np.random.choice([-1, 1])
    } else {
      t = rng_.uniform(-r.range(), r.range());
    }
    return r.max() < 1 ? t * static_cast<double>(size) : t;
  };
  p.tx = shift(o_.height_shift_range, shape[0]);
  p.ty = shift(o_.width_shift_range, shape[1]);
  if (o_.shear_range != 0) p.shear = rng_.uniform(-o_.shear_range, o_.shear_range);
  if (o_.zoom_range.lower != 1 || o_.zoom_range.upper != 1) {
    p.zx = rng_.uniform(o_.zoom_range.lower, o_.zoom_range.upper);
    p.zy = rng_.uniform(o_.zoom_range.lower, o_.zoom_range.upper);
  }
  p.flip_horizontal = rng_.random() < 0.5 && o_.horizontal_flip;
  p.flip_vertical = rng_.random() < 0.5 && o_.vertical_flip;
  if (o_.channel_shift_range != 0) p.channel_shift_intensity = rng_.uniform(-o_.channel_shift_range, o_.channel_shift_range);
  if (o_.brightness_range) p.brightness = rng_.uniform(o_.brightness_range->first, o_.brightness_range->second);
  return p;
}

Tensor ImageDataGenerator::random_transform(const Tensor& image, std::optional<std::uint32_t> seed) {
  return apply_transform(image, get_random_transform(image.shape(), seed));
}

Tensor ImageDataGenerator::apply_transform(const Tensor& image, const TransformParameters& p) const {
  if (image.rank() != 3) {
    throw ShapeError("ImageDataGenerator.apply_transform expects one image (height, width, channels), got " +
                     to_string(image.shape()));
  }
  const std::int64_t h = image.dim(0), w = image.dim(1), c = image.dim(2);
  std::vector<float> x = host_floats(image);

  if (const ImageTransform t = transform_of(p, h, w); t.affine) {
    const ImageFill mode = fill_of(o_.fill_mode);
    const auto load = [&](std::int64_t r, std::int64_t col, std::int64_t ch) {
      return x[static_cast<std::size_t>((r * w + col) * c + ch)];
    };
    std::vector<float> out(x.size());
    for (std::int64_t r = 0; r < h; ++r) {
      for (std::int64_t col = 0; col < w; ++col) {
        const auto taps = image_sampling::pixel_taps(t, mode, o_.interpolation_order, h, w, r, col);
        for (std::int64_t ch = 0; ch < c; ++ch) {
          out[static_cast<std::size_t>((r * w + col) * c + ch)] =
              image_sampling::sample(taps, o_.interpolation_order, o_.cval, ch, load);
        }
      }
    }
    x = std::move(out);
  }
  if (p.channel_shift_intensity) {
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    const float low = *lo, high = *hi;
    for (auto& v : x) v = std::clamp(static_cast<float>(v + *p.channel_shift_intensity), low, high);
  }
  auto flip = [&](bool rows) {
    std::vector<float> out(x.size());
    for (std::int64_t r = 0; r < h; ++r)
      for (std::int64_t col = 0; col < w; ++col)
        for (std::int64_t ch = 0; ch < c; ++ch) {
          const std::int64_t sr = rows ? h - 1 - r : r, sc = rows ? col : w - 1 - col;
          out[static_cast<std::size_t>((r * w + col) * c + ch)] = x[static_cast<std::size_t>((sr * w + sc) * c + ch)];
        }
    x = std::move(out);
  };
  if (p.flip_horizontal) flip(false);
  if (p.flip_vertical) flip(true);
  if (p.brightness) {
    // Keras' apply_brightness_shift(x, b, scale=False): to uint8 (stretched to 0..255 only when
    // values leave that range), PIL's Image.blend with black (truncating alpha * v, clipped
    // when brightening), back to float and to the original range.
    const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
    const float lo = *lo_it, hi = *hi_it;
    const bool stretch = lo < 0.0f || hi > 255.0f;
    const float range = hi - lo;
    const auto alpha = static_cast<float>(*p.brightness);
    for (auto& v : x) {
      const float scaled = stretch ? (range != 0.0f ? (v - lo) / range : 0.0f) * 255.0f : v;
      const auto u8 = static_cast<int>(scaled);  // numpy's astype("uint8") truncates
      const float blended = alpha * static_cast<float>(u8);
      const int out = blended <= 0.0f ? 0 : blended >= 255.0f ? 255 : static_cast<int>(blended);
      v = stretch ? static_cast<float>(out) / 255.0f * range + lo : static_cast<float>(out);
    }
  }
  return Tensor::from_vector(x, image.shape(), &image.backend());
}

namespace {
// Keras warns when a feature-wise option is used before fit(); the option is then skipped, as
// in Keras. Once per option and generator (Python shows a warning once per place).
void warn_not_fit(std::atomic<unsigned>& warned, unsigned bit, const char* option) {
  if (warned.fetch_or(bit) & bit) return;
  std::cerr << "warning: This ImageDataGenerator specifies `" << option
            << "`, but it hasn't been fit on any training data. Fit it first by calling `.fit(numpy_data)`.\n";
}
}  // namespace

bool ImageDataGenerator::augments_on_device() const {
  return !o_.preprocessing_function && !o_.samplewise_center && !o_.samplewise_std_normalization &&
         !o_.zca_whitening && o_.channel_shift_range == 0 && !o_.brightness_range;
}

ImageTransform ImageDataGenerator::device_transform(const TransformParameters& p, const Shape& image_shape) const {
  if (p.channel_shift_intensity || p.brightness) {
    throw ValueError("ImageDataGenerator: channel shifts and brightness run on the host only (augments_on_device)");
  }
  return transform_of(p, image_shape[0], image_shape[1]);
}

ImageAugmentation ImageDataGenerator::device_augmentation(const Shape& batch_shape, DType source) const {
  ImageAugmentation a;
  a.batch = batch_shape[0], a.height = batch_shape[1], a.width = batch_shape[2], a.channels = batch_shape[3];
  a.source = source;
  a.result = o_.dtype;
  a.fill = fill_of(o_.fill_mode);
  a.interpolation_order = o_.interpolation_order;
  a.cval = o_.cval;
  if (o_.rescale) a.rescale = true, a.rescale_factor = static_cast<float>(*o_.rescale);
  const auto statistics = [&](const std::vector<float>& values, float* into, const char* what) {
    if (values.size() != static_cast<std::size_t>(a.channels)) {
      throw ShapeError(std::string("ImageDataGenerator: fit() gave ") + what + " for " + std::to_string(values.size()) +
                       " channels, but flow's images have shape " + to_string(batch_shape.without_batch()));
    }
    std::copy(values.begin(), values.end(), into);
  };
  if (o_.featurewise_center && mean_.empty()) warn_not_fit(*warned_, 1u, "featurewise_center");
  if (o_.featurewise_center && !mean_.empty()) a.center = true, statistics(mean_, a.mean, "a mean");
  if (o_.featurewise_std_normalization && std_.empty()) warn_not_fit(*warned_, 2u, "featurewise_std_normalization");
  if (o_.featurewise_std_normalization && !std_.empty()) a.normalize = true, statistics(std_, a.std, "a std");
  return a;
}

Tensor ImageDataGenerator::standardize(const Tensor& input) const {
  if (input.rank() == 4) {  // a batch: Keras standardizes image by image
    std::vector<Tensor> images;
    for (std::int64_t i = 0; i < input.dim(0); ++i) images.push_back(standardize(input[i]));
    std::vector<float> all;
    for (const auto& t : images) {
      const auto v = t.to_vector<float>();
      all.insert(all.end(), v.begin(), v.end());
    }
    return Tensor::from_vector(all, input.shape(), &input.backend());
  }
  if (input.rank() != 3) {
    throw ShapeError("ImageDataGenerator.standardize expects (height, width, channels) or a batch, got " +
                     to_string(input.shape()));
  }
  Tensor t = o_.preprocessing_function ? o_.preprocessing_function(input) : input;
  std::vector<float> x = host_floats(t);
  const std::size_t channels = static_cast<std::size_t>(t.dim(-1));
  if (o_.rescale) {
    for (auto& v : x) v *= static_cast<float>(*o_.rescale);
  }
  if (o_.samplewise_center || o_.samplewise_std_normalization) {
    double mean = 0.0;
    for (float v : x) mean += v;
    mean /= static_cast<double>(x.size());
    if (o_.samplewise_center) {
      for (auto& v : x) v = static_cast<float>(v - mean);
      mean = 0.0;
    }
    if (o_.samplewise_std_normalization) {
      double sq = 0.0;
      for (float v : x) sq += (v - mean) * (v - mean);
      const double std = std::sqrt(sq / static_cast<double>(x.size()));
      for (auto& v : x) v = static_cast<float>(v / (std + 1e-6));
    }
  }
  if (o_.featurewise_center && mean_.empty()) warn_not_fit(*warned_, 1u, "featurewise_center");
  if (o_.featurewise_center && !mean_.empty()) {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] -= mean_[i % channels];
  }
  if (o_.featurewise_std_normalization && std_.empty()) warn_not_fit(*warned_, 2u, "featurewise_std_normalization");
  if (o_.featurewise_std_normalization && !std_.empty()) {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] /= std_[i % channels] + 1e-6f;
  }
  if (o_.zca_whitening && principal_components_.empty()) warn_not_fit(*warned_, 4u, "zca_whitening");
  if (o_.zca_whitening && !principal_components_.empty()) {
    const auto d = static_cast<std::int64_t>(x.size());
    if (static_cast<std::size_t>(d * d) != principal_components_.size()) {
      throw ShapeError("ImageDataGenerator.standardize: the image has " + std::to_string(d) +
                       " values but fit() saw images of another size");
    }
    internal::zca_whiten(principal_components_, d, x.data());
  }
  return Tensor::from_vector(x, t.shape(), &t.backend());
}

void ImageDataGenerator::fit(const Tensor& batch) {
  if (batch.rank() != 4) {
    throw ShapeError("ImageDataGenerator.fit expects a batch (n, height, width, channels), got " +
                     to_string(batch.shape()));
  }
  const std::int64_t n = batch.dim(0), channels = batch.dim(3);
  if (channels != 1 && channels != 3 && channels != 4) {
    throw ShapeError("ImageDataGenerator.fit expects 1, 3 or 4 channels on the last axis, got shape " +
                     to_string(batch.shape()) + " (" + std::to_string(channels) + " channels)");
  }
  if (batch.size() == 0) {
    throw ShapeError("ImageDataGenerator.fit needs at least one non-empty image to compute statistics from, got "
                     "shape " + to_string(batch.shape()));
  }
  std::vector<float> x = host_floats(batch);
  if (o_.rescale) {
    for (auto& v : x) v *= static_cast<float>(*o_.rescale);
  }
  const auto c = static_cast<std::size_t>(channels);
  const double per_channel = static_cast<double>(x.size() / c);
  mean_.clear();
  std_.clear();
  if (o_.featurewise_center) {
    std::vector<double> sum(c, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) sum[i % c] += x[i];
    for (double s : sum) mean_.push_back(static_cast<float>(s / per_channel));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] -= mean_[i % c];
  }
  if (o_.featurewise_std_normalization) {
    std::vector<double> mean(c, 0.0), sq(c, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i) mean[i % c] += x[i] / per_channel;
    for (std::size_t i = 0; i < x.size(); ++i) sq[i % c] += (x[i] - mean[i % c]) * (x[i] - mean[i % c]);
    for (double s : sq) std_.push_back(static_cast<float>(std::sqrt(s / per_channel)));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] /= std_[i % c] + 1e-6f;
  }
  if (o_.zca_whitening) {
    const auto d = static_cast<std::int64_t>(x.size() / static_cast<std::size_t>(n));
    principal_components_ = internal::zca_principal_components(x, n, d, o_.zca_epsilon);
  }
}

}  // namespace keras::preprocessing

namespace keras::preprocessing {

NumpyArrayIterator ImageDataGenerator::flow(const Tensor& x, const Tensor& y, FlowOptions options) const {
  return NumpyArrayIterator(*this, x, y, std::move(options));
}

ImageIterator::ImageIterator(const ImageDataGenerator& generator, std::int64_t samples, FlowOptions o)
    : generator_(std::make_shared<const ImageDataGenerator>(generator)), samples_(samples), o_(std::move(o)),
      seed_(o_.seed.value_or(static_cast<std::uint32_t>(random::next_seed()))) {
  if (o_.batch_size < 1) throw ValueError("ImageDataGenerator: batch_size must be positive");
  if (samples_ == 0) throw ValueError("ImageDataGenerator: no images to iterate over");
  order_ = order_for_epoch();
}

std::size_t ImageIterator::size() const {
  return static_cast<std::size_t>((samples_ + o_.batch_size - 1) / o_.batch_size);
}

// Keras seeds numpy with seed + (batches seen so far) before each batch and permutes at the
// start of an epoch.
std::vector<std::int64_t> ImageIterator::order_for_epoch() const {
  if (!o_.shuffle) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(samples_));
    std::iota(order.begin(), order.end(), 0);
    return order;
  }
  internal::NumpyRandomState rng(seed_ + static_cast<std::uint32_t>(epoch_ * static_cast<std::int64_t>(size())));
  return rng.permutation(samples_);
}

utils::Batch ImageIterator::get(std::size_t index) { return get_shard(index, 0, 1); }

// A shard's images are read and transformed alone; the batch's random draws are still made for
// every row, in order (they are cheap), so the shard's transforms are the ones the whole batch
// gives its rows.
utils::Batch ImageIterator::get_shard(std::size_t index, int shard, int shards) {
  if (index >= size()) throw ValueError("ImageIterator: batch " + std::to_string(index) + " of " + std::to_string(size()));
  const std::int64_t k = epoch_ * static_cast<std::int64_t>(size()) + static_cast<std::int64_t>(index);
  internal::NumpyRandomState rng(seed_ + static_cast<std::uint32_t>(k));
  if (index == 0 && o_.shuffle) rng.permutation(samples_);  // the same draws Keras' permutation made
  const auto start = static_cast<std::int64_t>(index) * o_.batch_size;
  const std::int64_t stop = std::min(start + o_.batch_size, samples_);
  const std::vector<std::int64_t> rows(order_.begin() + start, order_.begin() + stop);
  const auto [first, last] = utils::shard_rows(static_cast<std::int64_t>(rows.size()), shard, shards);
  if (device_images().defined()) return device_batch(rng, rows, first, last);
  const std::vector<std::int64_t> mine(rows.begin() + first, rows.begin() + last);
  // The batch is made on the host (a flow keeps its source images there), so a data worker gives
  // the device nothing but the finished batch's upload: no kernels, no reads of device memory.
  Backend& destination = backend::get();
  Tensor x, y;
  {
    internal::DefaultBackendScope on_host(backend::host());
    const Tensor raw = images(mine);
    const Shape image_shape = raw.shape().without_batch();
    std::vector<float> out;
    out.reserve(static_cast<std::size_t>(raw.size()));
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(rows.size()); ++i) {
      const TransformParameters drawn = generator_->draw_transform(image_shape, rng);
      if (i < first || i >= last) continue;
      const Tensor transformed = generator_->apply_transform(raw[i - first], drawn);
      const auto v = generator_->standardize(transformed).to_vector<float>();
      out.insert(out.end(), v.begin(), v.end());
    }
    x = Tensor::from_vector(out, raw.shape());
    if (!o_.save_to_dir.empty()) save_batch(x, rows, first, rng);
    y = targets(mine, x);
    if (const DType dtype = generator_->options().dtype; dtype != float32) x = x.astype(dtype);
  }
  utils::Batch batch;
  batch.x.push_back(internal::on_backend(destination, x));
  if (y.defined()) batch.y.push_back(internal::on_backend(destination, y));
  return batch;
}

const Tensor& ImageIterator::device_images() const {
  static const Tensor none;
  return none;
}

utils::Batch ImageIterator::device_batch(internal::NumpyRandomState& rng, const std::vector<std::int64_t>& rows,
                                         std::int64_t first, std::int64_t last) {
  const Tensor& source = device_images();
  Backend& device = source.backend();
  const Shape image_shape = source.shape().without_batch();
  std::vector<ImageTransform> transforms;
  transforms.reserve(static_cast<std::size_t>(last - first));
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(rows.size()); ++i) {
    const TransformParameters drawn = generator_->draw_transform(image_shape, rng);
    if (i >= first && i < last) transforms.push_back(generator_->device_transform(drawn, image_shape));
  }
  const std::vector<std::int64_t> mine(rows.begin() + first, rows.begin() + last);
  internal::DefaultBackendScope on_device(device);
  const Tensor raw = ops::take_rows(source, mine);
  const ImageAugmentation a = generator_->device_augmentation(raw.shape(), raw.dtype());
  Tensor x = Tensor::empty(raw.shape(), a.result, &device);
  device.augment_images(a, transforms.data(), internal::raw_data(raw), internal::raw_data(x));
  const Tensor y = targets(mine, x);
  Backend& destination = backend::get();
  utils::Batch batch;
  batch.x.push_back(internal::on_backend(destination, x));
  if (y.defined()) batch.y.push_back(internal::on_backend(destination, y));
  return batch;
}

// Keras names them {prefix}_{index}_{np.random.randint(1e7)}.{format}, drawn after the batch
// (for every row of it; `images` are rows first, first + 1, ... of `rows`, a shard's).
void ImageIterator::save_batch(const Tensor& images, const std::vector<std::int64_t>& rows, std::int64_t first,
                               internal::NumpyRandomState& rng) const {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string name = o_.save_prefix + "_" + std::to_string(rows[i]) + "_" +
                             std::to_string(rng.interval(9999999)) + "." + o_.save_format;
    const std::int64_t at = static_cast<std::int64_t>(i) - first;
    if (at < 0 || at >= images.dim(0)) continue;
    save_img((std::filesystem::path(o_.save_to_dir) / name).string(), images[at]);
  }
}

void ImageIterator::on_epoch_end() {
  ++epoch_;
  order_ = order_for_epoch();
}

namespace {
// Keras' flow subset: the first validation_split of the samples is the validation subset.
std::pair<std::int64_t, std::int64_t> subset_range(const std::string& subset, double split, std::int64_t n,
                                                   const char* where) {
  if (subset.empty()) return {0, n};
  if (subset != "training" && subset != "validation") {
    throw ValueError(std::string(where) + ": subset must be \"training\" or \"validation\", got \"" + subset + "\"");
  }
  if (split <= 0.0) throw ValueError(std::string(where) + ": subset needs the generator's validation_split");
  const auto at = static_cast<std::int64_t>(static_cast<double>(n) * split);
  return subset == "validation" ? std::pair{std::int64_t{0}, at} : std::pair{at, n};
}

Tensor checked_images(const Tensor& x, const Tensor& y) {
  if (x.rank() != 4) {
    throw ShapeError("ImageDataGenerator.flow expects images (n, height, width, channels), got " + to_string(x.shape()));
  }
  if (y.defined() && (y.rank() == 0 || y.dim(0) != x.dim(0))) {
    throw ShapeError("ImageDataGenerator.flow: x has " + std::to_string(x.dim(0)) + " images but y has shape " +
                     to_string(y.shape()));
  }
  return x;
}

std::int64_t subset_size(const ImageDataGenerator& g, const Tensor& x, const FlowOptions& o) {
  const auto [start, stop] = subset_range(o.subset, g.options().validation_split, checked_images(x, Tensor()).dim(0),
                                          "ImageDataGenerator.flow");
  return stop - start;
}
}  // namespace

NumpyArrayIterator::NumpyArrayIterator(const ImageDataGenerator& generator, Tensor x, Tensor y, FlowOptions o)
    : ImageIterator(generator, subset_size(generator, x, o), o) {
  checked_images(x, y);
  const auto [start, stop] = subset_range(o.subset, generator.options().validation_split, x.dim(0), "flow");
  Backend& active = backend::get();
  if (o.device_augmentation && !active.host_addressable() && generator.augments_on_device() && o.save_to_dir.empty()) {
    // Kept on the device: each batch is a gather and one augmentation launch there.
    try {
      Tensor images = x.slice(start, stop);
      if (images.dtype() != uint8 && images.dtype() != float32) images = images.astype(float32);
      device_x_ = internal::on_backend(active, images);
      if (y.defined()) y_ = internal::on_backend(active, y.slice(start, stop));
      return;
    } catch (const BackendError& e) {
      device_x_ = Tensor();
      std::cerr << "note: ImageDataGenerator.flow keeps its images on the host and uploads each batch: they did not fit "
                   "on "
                << active.name() << " (" << e.what() << ")\n";
    }
  }
  // Batches are made on the host (get), so the source arrays are kept there: one read now,
  // not one per batch from a worker thread.
  const auto on_host = [](const Tensor& t) { return t.backend().host_addressable() ? t : t.clone(&backend::host()); };
  x_ = on_host(x.slice(start, stop));
  if (x_.dtype() != float32) x_ = x_.astype(float32);
  if (y.defined()) y_ = on_host(y.slice(start, stop));
}

Tensor NumpyArrayIterator::images(const std::vector<std::int64_t>& rows) const { return ops::take_rows(x_, rows); }
Tensor NumpyArrayIterator::targets(const std::vector<std::int64_t>& rows, const Tensor&) const {
  return y_.defined() ? ops::take_rows(y_, rows) : Tensor();
}

}  // namespace keras::preprocessing
