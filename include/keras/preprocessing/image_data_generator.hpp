#pragma once
// keras.preprocessing.image.ImageDataGenerator: Keras' arguments and defaults, channels-last.
// Built so far: random_transform (numpy-exact draws), apply_transform (Keras' affine
// composition sampled exactly as scipy.ndimage.affine_transform does, channel shift, flips),
// standardize, fit, flow (save_to_dir too; on a device backend, augmented there:
// FlowOptions::device_augmentation), flow_from_directory and load_img.
#include <algorithm>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.hpp"
#include "keras/internal/numpy_random.hpp"
#include "keras/utils/sequence.hpp"

namespace keras::preprocessing {

// Keras' width/height_shift_range: a float (a fraction of the size below 1, else pixels), an
// int n (pixels drawn from 0..n-1, then signed), or a list of pixel shifts (drawn, then signed).
class ShiftRange {
 public:
  ShiftRange(double fraction_or_pixels = 0.0) : range_(fraction_or_pixels), max_(fraction_or_pixels) {}  // NOLINT
  ShiftRange(int pixels) : choices_(pixels > 0 ? pixels : 0), max_(pixels), integer_(true) {              // NOLINT
    for (int i = 0; i < pixels; ++i) choices_[static_cast<std::size_t>(i)] = i;
  }
  ShiftRange(std::initializer_list<double> pixel_choices) : choices_(pixel_choices), integer_(true) {
    max_ = choices_.empty() ? 0.0 : *std::max_element(choices_.begin(), choices_.end());
  }
  bool active() const { return integer_ ? !choices_.empty() : range_ != 0.0; }
  bool draws_from_list() const { return integer_; }
  double range() const { return range_; }
  const std::vector<double>& choices() const { return choices_; }
  // Keras scales by the image size when np.max(range) < 1.
  double max() const { return max_; }

 private:
  double range_ = 0.0;
  std::vector<double> choices_;
  double max_ = 0.0;
  bool integer_ = false;
};

// Keras' zoom_range: z means [1 - z, 1 + z]; a pair gives [lower, upper].
struct ZoomRange {
  double lower = 1.0, upper = 1.0;
  ZoomRange(double z = 0.0) : lower(1.0 - z), upper(1.0 + z) {}             // NOLINT
  ZoomRange(double lo, double hi) : lower(lo), upper(hi) {}
};

class ImageDataGenerator;

struct FlowOptions {
  std::int64_t batch_size = 32;
  bool shuffle = true;
  std::optional<std::uint32_t> seed{};
  std::string subset{};       // "training" | "validation" with the generator's validation_split
  std::string save_to_dir{};  // when set, every augmented image is also written there
  std::string save_prefix{};
  std::string save_format = "png";  // "png" | "jpeg"
  // Not Keras': when the active backend is a device (cuda) and every option of the generator
  // runs there (the affine transforms, flips, rescale, featurewise center and std; not
  // preprocessing_function, samplewise, ZCA, channel shift, brightness or save_to_dir), flow()
  // keeps the images in device memory as given (uint8 stays uint8) and each batch is gathered
  // and augmented there in one launch; the draws stay Keras' own, on the host. false keeps the
  // images on the host and uploads finished batches.
  bool device_augmentation = true;
};

// Keras' Iterator: batches of transformed, standardized images for fit/evaluate. With a seed,
// batch k of the run draws exactly as Keras does after np.random.seed(seed + k), so its order
// and transforms equal Keras' and do not depend on who computes which batch.
class ImageIterator : public utils::Sequence {
 public:
  std::size_t size() const override;
  utils::Batch get(std::size_t index) override;
  // Reads and transforms only the shard's images; they equal the whole batch's rows.
  utils::Batch get_shard(std::size_t index, int shard, int shards) override;
  void on_epoch_end() override;
  std::int64_t samples() const { return samples_; }

 protected:
  ImageIterator(const ImageDataGenerator& generator, std::int64_t samples, FlowOptions options);
  // The images (float32, (n, h, w, c)) and targets (undefined for none) of these samples.
  virtual Tensor images(const std::vector<std::int64_t>& rows) const = 0;
  virtual Tensor targets(const std::vector<std::int64_t>& rows, const Tensor& transformed) const = 0;
  // The source images when they are kept in a device's memory (uint8 or float32), else undefined.
  virtual const Tensor& device_images() const;

 private:
  // The batch's transforms drawn as the host path draws them, the pixels gathered and augmented
  // on the images' device.
  utils::Batch device_batch(internal::NumpyRandomState& rng, const std::vector<std::int64_t>& rows,
                            std::int64_t first, std::int64_t last);
  std::vector<std::int64_t> order_for_epoch() const;
  void save_batch(const Tensor& images, const std::vector<std::int64_t>& rows, std::int64_t first,
                  internal::NumpyRandomState& rng) const;
  std::shared_ptr<const ImageDataGenerator> generator_;
  std::int64_t samples_;
  FlowOptions o_;
  std::uint32_t seed_;
  std::int64_t epoch_ = 0;
  std::vector<std::int64_t> order_;
};

// What flow() returns.
class NumpyArrayIterator final : public ImageIterator {
 public:
  NumpyArrayIterator(const ImageDataGenerator& generator, Tensor x, Tensor y, FlowOptions options);

 private:
  Tensor images(const std::vector<std::int64_t>& rows) const override;
  Tensor targets(const std::vector<std::int64_t>& rows, const Tensor& transformed) const override;
  const Tensor& device_images() const override { return device_x_; }
  Tensor x_, y_;
  Tensor device_x_;  // defined when the images are kept on the device (x_ is then undefined)
};

struct DirectoryOptions {
  std::pair<std::int64_t, std::int64_t> target_size{256, 256};
  std::string color_mode = "rgb";          // "grayscale" | "rgb" | "rgba"
  std::vector<std::string> classes{};      // default: the sorted subfolder names
  std::string class_mode = "categorical";  // "categorical" | "binary" | "sparse" | "input" | "" (none)
  std::int64_t batch_size = 32;
  bool shuffle = true;
  std::optional<std::uint32_t> seed{};
  std::string subset{};
  std::string interpolation = "nearest";   // "nearest" | "bilinear"
  std::string save_to_dir{};
  std::string save_prefix{};
  std::string save_format = "png";
};

// What flow_from_directory() returns: one subfolder per class, images read per batch.
class DirectoryIterator final : public ImageIterator {
 public:
  DirectoryIterator(const ImageDataGenerator& generator, const std::string& directory, DirectoryOptions options);
  const std::vector<std::string>& filenames() const { return files_; }
  const std::vector<std::int32_t>& classes() const { return labels_; }
  // Class name -> index, as Keras' class_indices.
  const std::vector<std::string>& class_names() const { return names_; }

 private:
  // The files, class names and labels found under the folder: listed once, before the base
  // class needs their count.
  struct Listing {
    std::vector<std::string> files, names;
    std::vector<std::int32_t> labels;
  };
  static Listing list(const std::string& directory, const DirectoryOptions& options, double validation_split);
  DirectoryIterator(const ImageDataGenerator& generator, Listing listing, const DirectoryOptions& options);
  Tensor images(const std::vector<std::int64_t>& rows) const override;
  Tensor targets(const std::vector<std::int64_t>& rows, const Tensor& transformed) const override;
  DirectoryOptions d_;
  std::vector<std::string> files_, names_;
  std::vector<std::int32_t> labels_;
};

struct LoadImgOptions {
  std::string color_mode = "rgb";
  std::optional<std::pair<std::int64_t, std::int64_t>> target_size{};
  std::string interpolation = "nearest";
};
struct SaveImgOptions {
  // true: stretched so its minimum is 0 and its maximum 255, as Keras' array_to_img does by
  // default; false: the values are pixel levels already (0..255, truncated to integers as
  // numpy's uint8 cast does; values outside are clipped, where numpy would wrap).
  bool scale = true;
};
// keras.utils.save_img: one image (h, w, 1|3|4) written as PNG or JPEG by the file's extension
// (through a temporary file and a rename).
void save_img(const std::string& path, const Tensor& image, SaveImgOptions options = {});

// keras.utils.load_img + img_to_array: an image file (PNG, JPEG, BMP, GIF, TGA, PNM) as float32
// (height, width, channels), resized when target_size is given. Errors name the file.
Tensor load_img(const std::string& path, LoadImgOptions options = {});
// keras.utils.img_to_array: an image tensor as float32 (load_img's result already is one).
inline Tensor img_to_array(const Tensor& image) { return image.dtype() == float32 ? image : image.astype(float32); }

struct ImageDataGeneratorOptions {
  bool featurewise_center = false;
  bool samplewise_center = false;
  bool featurewise_std_normalization = false;
  bool samplewise_std_normalization = false;
  bool zca_whitening = false;
  double zca_epsilon = 1e-6;
  double rotation_range = 0.0;
  ShiftRange width_shift_range = 0.0;
  ShiftRange height_shift_range = 0.0;
  std::optional<std::pair<double, double>> brightness_range{};
  double shear_range = 0.0;         // degrees
  ZoomRange zoom_range = 0.0;
  double channel_shift_range = 0.0;
  std::string fill_mode = "nearest";  // "constant" | "nearest" | "reflect" | "wrap"
  double cval = 0.0;
  bool horizontal_flip = false;
  bool vertical_flip = false;
  std::optional<double> rescale{};
  std::function<Tensor(const Tensor&)> preprocessing_function{};
  double validation_split = 0.0;
  int interpolation_order = 1;      // 0 nearest, 1 bilinear (scipy spline orders)
  DType dtype = float32;            // of the images flow() yields (float32, bfloat16 or float16)
};

// The parameters of one transformation (Keras' transform_parameters dict).
struct TransformParameters {
  double theta = 0.0;   // rotation, degrees
  double tx = 0.0;      // shift along rows, pixels
  double ty = 0.0;      // shift along columns, pixels
  double shear = 0.0;   // degrees
  double zx = 1.0, zy = 1.0;
  bool flip_horizontal = false;
  bool flip_vertical = false;
  std::optional<double> channel_shift_intensity{};
  std::optional<double> brightness{};
};

class ImageDataGenerator {
 public:
  explicit ImageDataGenerator(ImageDataGeneratorOptions options = {});

  // Draws a transformation as Keras does, from numpy's legacy generator: seeded, it equals
  // Keras' get_random_transform(shape, seed); unseeded, it continues this generator's stream.
  TransformParameters get_random_transform(const Shape& image_shape, std::optional<std::uint32_t> seed = std::nullopt);
  // get_random_transform then apply_transform.
  Tensor random_transform(const Tensor& image, std::optional<std::uint32_t> seed = std::nullopt);
  // Applies `params` to one float32 image (h, w, c), in Keras' order: affine, channel shift,
  // horizontal flip, vertical flip.
  // The transforms compute on the host and return tensors on their input's backend.
  Tensor apply_transform(const Tensor& image, const TransformParameters& params) const;
  // Normalizes one image or a batch: preprocessing_function, rescale, samplewise, featurewise,
  // ZCA — Keras' order. Featurewise steps need fit().
  Tensor standardize(const Tensor& x) const;
  // Featurewise statistics (and the ZCA matrix) from a batch (n, h, w, c) of float32 images.
  void fit(const Tensor& x);
  // Batches of (x, y) through random_transform and standardize; y may be undefined.
  NumpyArrayIterator flow(const Tensor& x, const Tensor& y = {}, FlowOptions options = {}) const;
  DirectoryIterator flow_from_directory(const std::string& directory, DirectoryOptions options = {}) const;
  // get_random_transform on a given numpy generator (flow's per-batch streams).
  TransformParameters draw_transform(const Shape& image_shape, internal::NumpyRandomState& rng) const;

  const ImageDataGeneratorOptions& options() const { return o_; }
  const std::vector<float>& mean() const { return mean_; }  // per channel, after fit
  const std::vector<float>& std() const { return std_; }

  // Whether every option in use runs in Backend::augment_images (see FlowOptions).
  bool augments_on_device() const;
  // One image's drawn transform as augment_images takes it.
  ImageTransform device_transform(const TransformParameters& params, const Shape& image_shape) const;
  // augment_images' settings for a batch of `batch_shape` (n, h, w, c) stored as `source`: this
  // generator's sampling, its output dtype and standardize's steps (warning as standardize does
  // about featurewise steps before fit).
  ImageAugmentation device_augmentation(const Shape& batch_shape, DType source) const;

 private:
  ImageDataGeneratorOptions o_;
  internal::NumpyRandomState rng_;
  std::vector<float> mean_, std_;
  std::vector<float> principal_components_;  // (h*w*c)^2, after fit with zca_whitening
  // Which "not fit yet" warnings were given (one bit per option), shared with the copies flows
  // keep, so a generator and its flows warn once.
  std::shared_ptr<std::atomic<unsigned>> warned_ = std::make_shared<std::atomic<unsigned>>(0u);
};

}  // namespace keras::preprocessing
