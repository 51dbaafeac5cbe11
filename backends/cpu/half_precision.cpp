// The once-per-process notes and the float32 scratch of emulated 16-bit kernels (half_precision.hpp).
#include "half_precision.hpp"

#include <iostream>
#include <mutex>

namespace keras::cpu {

namespace {
std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "SSE4.1";
    case dnnl::cpu_isa::avx: return "AVX";
    case dnnl::cpu_isa::avx2: return "AVX2";
    case dnnl::cpu_isa::avx2_vnni: return "AVX2-VNNI";
    case dnnl::cpu_isa::avx512_mic: return "AVX-512 (MIC)";
    case dnnl::cpu_isa::avx512_mic_4ops: return "AVX-512 (MIC 4ops)";
    case dnnl::cpu_isa::avx512_core: return "AVX-512";
    case dnnl::cpu_isa::avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl::cpu_isa::avx512_core_bf16: return "AVX-512 BF16";
    case dnnl::cpu_isa::avx512_core_amx: return "AMX";
    default: return "baseline";
  }
}
}  // namespace

dnnl::memory::data_type dnnl_type(DType dtype) {
  switch (dtype) {
    case DType::bfloat16: return dnnl::memory::data_type::bf16;
    case DType::float16: return dnnl::memory::data_type::f16;
    default: return dnnl::memory::data_type::f32;
  }
}

void note_emulated_half(DType dtype) {
  static std::once_flag once[2];
  std::call_once(once[dtype == DType::float16 ? 1 : 0], [dtype] {
    std::cerr << "kerascpp cpu backend: this CPU (oneDNN ISA " << isa_name(dnnl::get_effective_cpu_isa())
              << ") has no " << to_string(dtype) << " kernels; " << to_string(dtype)
              << " convolutions and matrix products widen their operands to float32 and round the"
                 " results back: the same results, but not faster than float32 here\n";
  });
}

float* Float32Scratch::get(int slot, std::int64_t n) {
  if (sizes_[slot] < n) {
    buffers_[slot] = std::make_unique<float[]>(static_cast<std::size_t>(n));
    sizes_[slot] = n;
  }
  return buffers_[slot].get();
}

const float* Float32Scratch::widen(int slot, const Loops& loops, const void* x, DType dtype, std::int64_t n) {
  float* out = get(slot, n);
  loops.cast(x, dtype, out, DType::float32, static_cast<std::size_t>(n));
  return out;
}

}  // namespace keras::cpu
