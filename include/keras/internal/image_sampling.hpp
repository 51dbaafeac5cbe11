#pragma once
// The per-pixel arithmetic of ImageDataGenerator's transforms: scipy.ndimage.affine_transform's
// sampling (spline orders 0 and 1, its four fill modes; scipy's ni_interpolation.c) and
// standardize's rescale and featurewise steps. One definition serves the host generator
// (apply_transform), the reference and cpu backends' augment_images and the CUDA kernel, so the
// host flow and a device flow give the same bits (double arithmetic without contraction
// everywhere: the host backends have no FMA in their baseline code, nvcc runs with --fmad=false).
// Only generic (not per-ISA) translation units include it.
#include <cmath>
#include <cstdint>
#include <string>

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"
#include "keras/internal/host_device.hpp"

namespace keras::internal::image_sampling {

// scipy's map_coordinate for 'constant', 'nearest' and 'wrap': a coordinate outside
// [0, len - 1] mapped by the fill mode; -1 means "use cval". ('reflect' is handled in taps.)
KERASCPP_HOST_DEVICE inline double map_coordinate(double in, std::int64_t len, ImageFill mode) {
  if (in >= 0 && in <= static_cast<double>(len - 1)) return in;
  if (len <= 1) return mode == ImageFill::constant ? -1.0 : 0.0;
  const auto period = static_cast<double>(len - 1);
  if (in < 0) {
    switch (mode) {
      case ImageFill::wrap: return in + period * static_cast<double>(static_cast<std::int64_t>(-in / period) + 1);
      case ImageFill::nearest: return 0.0;
      case ImageFill::constant:
      case ImageFill::reflect: return -1.0;
    }
  }
  switch (mode) {
    case ImageFill::wrap: return in - period * static_cast<double>(static_cast<std::int64_t>(in / period));
    case ImageFill::nearest: return static_cast<double>(len - 1);
    case ImageFill::constant:
    case ImageFill::reflect: return -1.0;
  }
  return in;
}

// Interpolation taps beyond the edge are mirrored (scipy does this whatever the fill mode).
KERASCPP_HOST_DEVICE inline std::int64_t mirror_index(std::int64_t idx, std::int64_t len) {
  if (len <= 1) return 0;
  const std::int64_t s2 = 2 * len - 2;
  if (idx < 0) {
    idx = s2 * (-idx / s2) + idx;
    return idx <= 1 - len ? idx + s2 : -idx;
  }
  if (idx >= len) {
    idx -= s2 * (idx / s2);
    return idx >= len ? s2 - idx : idx;
  }
  return idx;
}

// Half-sample symmetric extension (d c b a | a b c d | d c b a), period 2 len.
KERASCPP_HOST_DEVICE inline std::int64_t reflect_index(std::int64_t idx, std::int64_t len) {
  const std::int64_t period = 2 * len;
  idx = ((idx % period) + period) % period;
  return idx >= len ? period - 1 - idx : idx;
}

// One axis of a sample: the first tap, and the weights of the order + 1 taps.
struct Taps {
  bool outside = false;
  std::int64_t index[2] = {0, 0};
  double weight[2] = {1.0, 0.0};
};

// The two taps around `at` and their linear weights; taps beyond the image are reflected
// ('reflect') or mirrored (every other mode).
KERASCPP_HOST_DEVICE inline Taps linear_taps(double at, std::int64_t len, bool reflect) {
  Taps t;
  const double floor_at = std::floor(at);
  const auto start = static_cast<std::int64_t>(floor_at);
  t.index[0] = reflect ? reflect_index(start, len) : mirror_index(start, len);
  t.index[1] = reflect ? reflect_index(start + 1, len) : mirror_index(start + 1, len);
  t.weight[1] = at - floor_at;
  t.weight[0] = 1.0 - t.weight[1];
  return t;
}

KERASCPP_HOST_DEVICE inline Taps taps(double coordinate, std::int64_t len, ImageFill mode, int order) {
  Taps t;
  if (mode == ImageFill::reflect) {
    // scipy >= 1.6 interpolates 'reflect' on the extended signal, at the coordinate as it is;
    // nearest-neighbour sampling first reflects the coordinate itself, then rounds.
    if (order == 1) return linear_taps(coordinate, len, true);
    const double period = 2.0 * static_cast<double>(len);
    double u = std::fmod(coordinate + 0.5, period);
    if (u < 0) u += period;
    if (u > static_cast<double>(len)) u = period - u;
    t.index[0] = reflect_index(static_cast<std::int64_t>(std::floor(u)), len);
    return t;
  }
  const double cc = map_coordinate(coordinate, len, mode);
  if (!(cc > -1.0)) {
    t.outside = true;
    return t;
  }
  if (order == 1) return linear_taps(cc, len, false);
  t.index[0] = mirror_index(static_cast<std::int64_t>(std::floor(cc + 0.5)), len);
  return t;
}

// Both axes' taps for output pixel (r, col) of one (h, w) image under transform t: computed once
// per pixel, shared by its channels.
struct PixelTaps {
  Taps row, col;
};
KERASCPP_HOST_DEVICE inline PixelTaps pixel_taps(const ImageTransform& t, ImageFill fill, int order, std::int64_t h,
                                                 std::int64_t w, std::int64_t r, std::int64_t col) {
  const double in_r = t.m[0] * static_cast<double>(r) + t.m[1] * static_cast<double>(col) + t.m[2];
  const double in_c = t.m[3] * static_cast<double>(r) + t.m[4] * static_cast<double>(col) + t.m[5];
  return {taps(in_r, h, fill, order), taps(in_c, w, fill, order)};
}

// Channel `ch` of the affine result at a pixel with taps p; load(row, col, ch) reads a source
// value as float.
template <class Load>
KERASCPP_HOST_DEVICE inline float sample(const PixelTaps& p, int order, double cval, std::int64_t ch, const Load& load) {
  if (p.row.outside || p.col.outside) return static_cast<float>(cval);
  double v = 0.0;
  const int n = order + 1;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      const double weight = order == 0 ? 1.0 : p.row.weight[a] * p.col.weight[b];
      v += weight * static_cast<double>(load(p.row.index[a], p.col.index[b], ch));
    }
  }
  return static_cast<float>(v);
}

// standardize's per-value steps, in Keras' order, in float32.
KERASCPP_HOST_DEVICE inline float standardized(const ImageAugmentation& a, float v, std::int64_t ch) {
  if (a.rescale) v *= a.rescale_factor;
  if (a.center) v -= a.mean[ch];
  if (a.normalize) v /= a.std[ch] + 1e-6f;
  return v;
}

// Output value (r, col, ch) of one image of an augment_images call: flips, the affine sample
// (or the source pixel), standardization. (One GPU thread per value.)
template <class Load>
KERASCPP_HOST_DEVICE inline float augmented(const ImageAugmentation& a, const ImageTransform& t, std::int64_t r,
                                            std::int64_t col, std::int64_t ch, const Load& load) {
  const std::int64_t sr = t.flip_vertical ? a.height - 1 - r : r;
  const std::int64_t sc = t.flip_horizontal ? a.width - 1 - col : col;
  if (!t.affine) return standardized(a, load(sr, sc, ch), ch);
  const PixelTaps p = pixel_taps(t, a.fill, a.interpolation_order, a.height, a.width, sr, sc);
  return standardized(a, sample(p, a.interpolation_order, a.cval, ch, load), ch);
}

// Every channel of output pixel (r, col), the taps computed once: store(ch, value). The same
// values as augmented() (the host backends' loop).
template <class Load, class Store>
inline void augmented_pixel(const ImageAugmentation& a, const ImageTransform& t, std::int64_t r, std::int64_t col,
                            const Load& load, const Store& store) {
  const std::int64_t sr = t.flip_vertical ? a.height - 1 - r : r;
  const std::int64_t sc = t.flip_horizontal ? a.width - 1 - col : col;
  if (!t.affine) {
    for (std::int64_t ch = 0; ch < a.channels; ++ch) store(ch, standardized(a, load(sr, sc, ch), ch));
    return;
  }
  const PixelTaps p = pixel_taps(t, a.fill, a.interpolation_order, a.height, a.width, sr, sc);
  for (std::int64_t ch = 0; ch < a.channels; ++ch) {
    store(ch, standardized(a, sample(p, a.interpolation_order, a.cval, ch, load), ch));
  }
}

// What every backend's augment_images checks before it enqueues anything.
inline void check_augmentation(const ImageAugmentation& a, const std::string& backend) {
  const std::string where = backend + ": augment_images";
  if (a.batch < 0 || a.height < 1 || a.width < 1 || a.channels < 1) {
    throw BackendError(where + " needs images of positive size, got (" + std::to_string(a.batch) + ", " +
                       std::to_string(a.height) + ", " + std::to_string(a.width) + ", " + std::to_string(a.channels) +
                       ")");
  }
  if (a.source != DType::uint8 && a.source != DType::float32) {
    throw BackendError(where + " reads uint8 or float32 images, got " + to_string(a.source));
  }
  if (!is_floating(a.result)) throw BackendError(where + " writes float32, bfloat16 or float16, got " + to_string(a.result));
  if (a.interpolation_order != 0 && a.interpolation_order != 1) {
    throw BackendError(where + " samples with order 0 or 1, got " + std::to_string(a.interpolation_order));
  }
  if ((a.center || a.normalize) && a.channels > 4) {
    throw BackendError(where + ": featurewise statistics cover at most 4 channels, the images have " +
                       std::to_string(a.channels));
  }
}

}  // namespace keras::internal::image_sampling
