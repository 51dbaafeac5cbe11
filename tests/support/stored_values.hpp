#pragma once
// Host buffers in a storage dtype, for tests that call backend kernels directly: values are
// rounded into the dtype once (nearest even, as the backends' casts do) and read back widened.
#include <cstdint>
#include <cstring>
#include <vector>

#include "keras/core/dtype.hpp"

namespace keras::testing {

class Stored {
 public:
  Stored(const std::vector<float>& values, DType dtype) : dtype_(dtype), bytes_(values.size() * size_of(dtype)) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (dtype == DType::bfloat16) {
        const bfloat16_t b(values[i]);
        std::memcpy(bytes_.data() + 2 * i, &b.bits, 2);
      } else if (dtype == DType::float16) {
        const float16_t h(values[i]);
        std::memcpy(bytes_.data() + 2 * i, &h.bits, 2);
      } else {
        std::memcpy(bytes_.data() + 4 * i, &values[i], 4);
      }
    }
  }
  // n elements, every byte a NaN pattern for float32 (a kernel must overwrite them).
  static Stored garbage(std::size_t n, DType dtype) {
    Stored s(std::vector<float>(n), dtype);
    std::memset(s.bytes_.data(), 0xFF, s.bytes_.size());
    return s;
  }
  void* data() { return bytes_.data(); }
  const void* data() const { return bytes_.data(); }
  std::vector<float> widened() const {
    const std::size_t n = bytes_.size() / size_of(dtype_);
    std::vector<float> out(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint16_t bits;
      if (dtype_ == DType::float32) {
        std::memcpy(&out[i], bytes_.data() + 4 * i, 4);
        continue;
      }
      std::memcpy(&bits, bytes_.data() + 2 * i, 2);
      if (dtype_ == DType::bfloat16) {
        bfloat16_t b;
        b.bits = bits;
        out[i] = float(b);
      } else {
        float16_t h;
        h.bits = bits;
        out[i] = float(h);
      }
    }
    return out;
  }

 private:
  DType dtype_;
  std::vector<std::uint8_t> bytes_;
};

// The relative agreement two backends reach in a storage type: float32 sums in another order,
// then (for 16 bits) one rounding that may land one unit in the last place apart.
inline double storage_tolerance(DType dtype) {
  return dtype == DType::bfloat16 ? 1e-2 : dtype == DType::float16 ? 2e-3 : 1e-4;
}

}  // namespace keras::testing
