#pragma once
// bfloat16 convolutions and matrix products on every CPU. oneDNN 2.6 has bfloat16 kernels only
// from AVX-512 up; elsewhere creating one fails (or yields its slow reference kernel). Each
// primitive decides when it is created: native bf16 where oneDNN has a real kernel, else the
// same arithmetic emulated, operands rounded to bfloat16 (nearest even) into float32 buffers
// and fed to the float32 kernel, which accumulates in float32 as the bf16 kernels do.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "loops.hpp"

namespace keras::cpu {

// Calls make() for a bfloat16 primitive descriptor; nullopt where this CPU has no native
// bfloat16 kernel for it (oneDNN reports it unimplemented, or offers only its reference
// kernel), after saying once per process that bf16 is emulated here. Other errors propagate.
template <class PrimitiveDesc, class Make>
std::optional<PrimitiveDesc> native_bfloat16(Make&& make);

// Says once per process that this CPU lacks bfloat16 instructions.
void note_emulated_bfloat16();

// Scratch buffers for rounded operands, grown as needed and reused by every kernel call (the
// backend runs one oneDNN kernel at a time).
class RoundedOperands {
 public:
  // x rounded to bfloat16 in float32, in scratch slot 0 or 1 (valid until the next call).
  const float* round(int slot, const Loops& loops, const float* x, std::int64_t n);

 private:
  std::unique_ptr<float[]> buffers_[2];
  std::int64_t sizes_[2] = {0, 0};
};

template <class PrimitiveDesc, class Make>
std::optional<PrimitiveDesc> native_bfloat16(Make&& make) {
  try {
    PrimitiveDesc pd = make();
    if (std::string(pd.impl_info_str()).rfind("ref", 0) != 0) return pd;
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented) throw;
  }
  note_emulated_bfloat16();
  return std::nullopt;
}

}  // namespace keras::cpu
