#pragma once
// keras.preprocessing.image.ImageDataGenerator: Keras' arguments and defaults, channels-last.
// Built so far: apply_transform (Keras' affine composition sampled exactly as
// scipy.ndimage.affine_transform does, channel shift, flips), standardize and fit. Not built
// yet: random_transform, flow, flow_from_directory, brightness_range (see docs/decisions.md).
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::preprocessing {

struct ImageDataGeneratorOptions {
  bool featurewise_center = false;
  bool samplewise_center = false;
  bool featurewise_std_normalization = false;
  bool samplewise_std_normalization = false;
  bool zca_whitening = false;
  double zca_epsilon = 1e-6;
  double rotation_range = 0.0;
  double width_shift_range = 0.0;   // fraction of the width below 1, else pixels
  double height_shift_range = 0.0;
  std::optional<std::pair<double, double>> brightness_range{};
  double shear_range = 0.0;         // degrees
  std::pair<double, double> zoom_range{1.0, 1.0};  // Keras' zoom_range=z means [1 - z, 1 + z]
  double channel_shift_range = 0.0;
  std::string fill_mode = "nearest";  // "constant" | "nearest" | "reflect" | "wrap"
  double cval = 0.0;
  bool horizontal_flip = false;
  bool vertical_flip = false;
  std::optional<double> rescale{};
  std::function<Tensor(const Tensor&)> preprocessing_function{};
  double validation_split = 0.0;
  int interpolation_order = 1;      // 0 nearest, 1 bilinear (scipy spline orders)
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
};

class ImageDataGenerator {
 public:
  explicit ImageDataGenerator(ImageDataGeneratorOptions options = {});

  // Applies `params` to one float32 image (h, w, c), in Keras' order: affine, channel shift,
  // horizontal flip, vertical flip.
  Tensor apply_transform(const Tensor& image, const TransformParameters& params) const;
  // Normalizes one image or a batch: preprocessing_function, rescale, samplewise, featurewise,
  // ZCA — Keras' order. Featurewise steps need fit().
  Tensor standardize(const Tensor& x) const;
  // Featurewise statistics (and the ZCA matrix) from a batch (n, h, w, c) of float32 images.
  void fit(const Tensor& x);

  const ImageDataGeneratorOptions& options() const { return o_; }
  const std::vector<float>& mean() const { return mean_; }  // per channel, after fit
  const std::vector<float>& std() const { return std_; }

 private:
  ImageDataGeneratorOptions o_;
  std::vector<float> mean_, std_;
  std::vector<float> principal_components_;  // (h*w*c)^2, after fit with zca_whitening
};

}  // namespace keras::preprocessing
