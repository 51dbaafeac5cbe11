// The CUDA backend's ImageDataGenerator kernel: a batch of images augmented in one launch, one
// thread per output value. The arithmetic is keras/internal/image_sampling.hpp's, the functions
// the host generator and the host backends call, compiled without contraction (--fmad=false),
// so a device flow gives the host flow's values.
#include <cstdint>

#include "../common/element_rules.hpp"
#include "keras/internal/image_sampling.hpp"
#include "launch.cuh"

namespace keras::cuda_backend {

namespace {

__global__ void augment_images_kernel(ImageAugmentation a, const ImageTransform* transforms, const void* x, void* y,
                                      std::size_t total) {
  KERASCPP_GRID_STRIDE(i, total) {
    const auto at = static_cast<std::int64_t>(i);
    const std::int64_t ch = at % a.channels, c = (at / a.channels) % a.width;
    const std::int64_t r = (at / (a.channels * a.width)) % a.height, image = at / (a.channels * a.width * a.height);
    const std::int64_t base = image * a.height * a.width * a.channels;
    const auto load = [&](std::int64_t sr, std::int64_t sc, std::int64_t sch) -> float {
      const std::int64_t from = base + (sr * a.width + sc) * a.channels + sch;
      return a.source == DType::uint8 ? static_cast<float>(static_cast<const std::uint8_t*>(x)[from])
                                      : static_cast<const float*>(x)[from];
    };
    const float v = internal::image_sampling::augmented(a, transforms[image], r, c, ch, load);
    switch (a.result) {
      case DType::bfloat16:
        static_cast<std::uint16_t*>(y)[i] = static_cast<std::uint16_t>(element_rules::bfloat16_bits_of(v));
        break;
      case DType::float16: static_cast<std::uint16_t*>(y)[i] = element_rules::float16_bits_of(v); break;
      default: static_cast<float*>(y)[i] = v; break;
    }
  }
}

}  // namespace

void CudaBackend::augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                                 void* y) {
  internal::image_sampling::check_augmentation(a, name());
  if (a.batch == 0) return;
  // The transforms are host memory, consumed now: uploaded (staged) in queue order.
  const auto bytes = static_cast<std::size_t>(a.batch) * sizeof(ImageTransform);
  Scratch device_transforms(*this, bytes);
  copy_from_host(device_transforms.get(), transforms, bytes);
  const auto total = static_cast<std::size_t>(a.batch * a.height * a.width * a.channels);
  launch(*this, "augment_images", total, augment_images_kernel, a, device_transforms.as<const ImageTransform>(), x, y,
         total);
}

}  // namespace keras::cuda_backend
