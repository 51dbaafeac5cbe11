#pragma once
// 16-bit storage (bfloat16, float16) for convolutions and matrix products on every CPU.
// oneDNN 2.6 has bfloat16 kernels only from AVX-512 up and float16 kernels only on AVX-512
// FP16; elsewhere creating one fails (or yields its slow reference kernel). Each primitive
// decides when it is created: native where oneDNN has a real kernel for the storage type, else
// emulated: the 16-bit operands are widened (exactly) into float32 scratch, the float32 kernel
// accumulates in float32 as the native kernels do, and the result is rounded once into 16 bits.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "keras/core/dtype.hpp"
#include "loops.hpp"

namespace keras::cpu {

// oneDNN's name of a storage type.
dnnl::memory::data_type dnnl_type(DType dtype);

// Calls make() for a 16-bit primitive descriptor; nullopt where this CPU has no native kernel
// for it (oneDNN reports it unimplemented, or offers only its reference kernel), after saying
// once per process and type that it is emulated here. Other errors propagate.
template <class PrimitiveDesc, class Make>
std::optional<PrimitiveDesc> native_half(DType dtype, Make&& make);

// Says once per process and type that this CPU lacks kernels for it.
void note_emulated_half(DType dtype);

// float32 scratch buffers for widened operands and results, grown as needed and reused by
// every kernel call (the backend runs one oneDNN kernel at a time).
class Float32Scratch {
 public:
  // Slot `slot` (0 to 3) with room for n floats, valid until the next call for that slot.
  float* get(int slot, std::int64_t n);
  // x (n elements of `dtype`) widened into slot `slot`.
  const float* widen(int slot, const Loops& loops, const void* x, DType dtype, std::int64_t n);

 private:
  std::unique_ptr<float[]> buffers_[4];
  std::int64_t sizes_[4] = {0, 0, 0, 0};
};

template <class PrimitiveDesc, class Make>
std::optional<PrimitiveDesc> native_half(DType dtype, Make&& make) {
  try {
    PrimitiveDesc pd = make();
    if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) return pd;
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented) throw;
  }
  note_emulated_half(dtype);
  return std::nullopt;
}

}  // namespace keras::cpu
