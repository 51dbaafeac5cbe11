// CPU kernel: ImageDataGenerator's batched augmentation, image rows split across the threads.
// The per-value arithmetic is keras/internal/image_sampling.hpp's (double, no contraction in
// this generic file), so the values equal the reference's and the host generator's bit for bit.
#include <algorithm>
#include <cstdint>

#include "keras/internal/image_sampling.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"

namespace keras::cpu {

namespace {
template <class Source, class Result>
void augment(const ImageAugmentation& a, const ImageTransform* transforms, const Source* x, Result* y) {
  const std::int64_t row = a.width * a.channels, image = a.height * row;
  // A resampled value costs about ten times a copied one.
  const std::int64_t min_rows = std::max<std::int64_t>(1, kElementwiseChunk / (8 * row));
  parallel_for(a.batch * a.height, min_rows, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t ir = begin; ir < end; ++ir) {
      const std::int64_t i = ir / a.height, r = ir % a.height;
      const Source* source = x + i * image;
      const auto load = [&](std::int64_t sr, std::int64_t sc, std::int64_t ch) {
        return static_cast<float>(source[(sr * a.width + sc) * a.channels + ch]);
      };
      Result* out = y + i * image + r * row;
      for (std::int64_t c = 0; c < a.width; ++c) {
        Result* pixel = out + c * a.channels;
        internal::image_sampling::augmented_pixel(a, transforms[i], r, c, load,
                                                  [&](std::int64_t ch, float v) { pixel[ch] = Result(v); });
      }
    }
  });
}

template <class Source>
void augment_to(const ImageAugmentation& a, const ImageTransform* transforms, const Source* x, void* y) {
  switch (a.result) {
    case DType::bfloat16: augment(a, transforms, x, static_cast<bfloat16_t*>(y)); break;
    case DType::float16: augment(a, transforms, x, static_cast<float16_t*>(y)); break;
    default: augment(a, transforms, x, static_cast<float*>(y)); break;
  }
}
}  // namespace

void CpuBackend::augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x, void* y) {
  internal::image_sampling::check_augmentation(a, name());
  if (a.source == DType::uint8) {
    augment_to(a, transforms, static_cast<const std::uint8_t*>(x), y);
  } else {
    augment_to(a, transforms, static_cast<const float*>(x), y);
  }
}

}  // namespace keras::cpu
