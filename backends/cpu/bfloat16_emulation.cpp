// The once-per-process note and the scratch buffers of emulated bfloat16 (bfloat16_emulation.hpp).
#include "bfloat16_emulation.hpp"

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

void note_emulated_bfloat16() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::cerr << "kerascpp cpu backend: this CPU (oneDNN ISA " << isa_name(dnnl::get_effective_cpu_isa())
              << ") has no bfloat16 instructions; mixed_bfloat16 convolutions and matrix products"
                 " round their operands to bfloat16 and run the float32 kernels: the same results,"
                 " but not faster than float32 here\n";
  });
}

const float* RoundedOperands::round(int slot, const Loops& loops, const float* x, std::int64_t n) {
  if (sizes_[slot] < n) {
    buffers_[slot] = std::make_unique<float[]>(static_cast<std::size_t>(n));
    sizes_[slot] = n;
  }
  loops.round_to_bfloat16(x, buffers_[slot].get(), n);
  return buffers_[slot].get();
}

}  // namespace keras::cpu
