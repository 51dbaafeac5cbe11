// Reference kernel: ImageDataGenerator's batched augmentation, one output value at a time
// (the arithmetic is keras/internal/image_sampling.hpp's, shared with every backend).
#include <cstdint>

#include "keras/internal/image_sampling.hpp"
#include "reference_backend.hpp"

namespace keras::reference {

void ReferenceBackend::augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                                      void* y) {
  internal::image_sampling::check_augmentation(a, name());
  const std::int64_t image = a.height * a.width * a.channels;
  for (std::int64_t i = 0; i < a.batch; ++i) {
    const auto load = [&](std::int64_t r, std::int64_t c, std::int64_t ch) {
      const std::int64_t at = i * image + (r * a.width + c) * a.channels + ch;
      return a.source == DType::uint8 ? static_cast<float>(static_cast<const std::uint8_t*>(x)[at])
                                      : static_cast<const float*>(x)[at];
    };
    for (std::int64_t r = 0; r < a.height; ++r) {
      for (std::int64_t c = 0; c < a.width; ++c) {
        const auto pixel = static_cast<std::size_t>(i * image + (r * a.width + c) * a.channels);
        internal::image_sampling::augmented_pixel(a, transforms[i], r, c, load, [&](std::int64_t ch, float v) {
          const std::size_t at = pixel + static_cast<std::size_t>(ch);
          switch (a.result) {
            case DType::bfloat16: static_cast<bfloat16_t*>(y)[at] = bfloat16_t(v); break;
            case DType::float16: static_cast<float16_t*>(y)[at] = float16_t(v); break;
            default: static_cast<float*>(y)[at] = v; break;
          }
        });
      }
    }
  }
}

}  // namespace keras::reference
