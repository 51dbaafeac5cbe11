// Matrix products on oneDNN: float32 through its sgemm; bfloat16 and float16 storage through a
// matmul primitive (transposes expressed as strides, float32 accumulation) or, where this CPU
// has no such kernel, through sgemm on operands widened to float32 (half_precision.hpp).

#include "dnnl_primitives.hpp"

namespace keras::cpu {

struct MatmulEntry {
  bool emulated = false;  // no native 16-bit kernel: sgemm on widened operands, no primitive
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
};

namespace {

std::string what(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, DType dtype) {
  return "gemm (" + std::string(ta ? "A^T" : "A") + " " + std::to_string(m) + "x" +
         std::to_string(k) + " @ " + (tb ? "B^T " : "B ") + std::to_string(k) + "x" +
         std::to_string(n) + ", " + to_string(dtype) + ")";
}

// c = alpha * op(a) @ op(b) + beta * c in float32; beta == 0 overwrites, so garbage (even NaN)
// in c does not leak into the result.
void sgemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, const float* b, float beta, float* c, const Loops& loops) {
  if (beta == 0.0f) loops.fill(c, static_cast<std::size_t>(m * n), 0.0f);
  if (k == 0) {  // an empty sum: c = beta * c
    if (beta != 0.0f) loops.affine(c, c, static_cast<std::size_t>(m * n), beta, 0.0f);
    return;
  }
  const dnnl_status_t status = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, ta ? m : k, b,
                                          tb ? k : n, beta, c, n);
  if (status != dnnl_success) throw dnnl::error(status, "dnnl_sgemm");
}

}  // namespace

void CpuBackend::gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n,
                      std::int64_t k, float alpha, const void* a, const void* b, float beta,
                      void* c, DType dtype) {
  if (m == 0 || n == 0) return;
  run_dnnl(*primitives_, [&] { return what(transpose_a, transpose_b, m, n, k, dtype); }, [&] {
    auto& p = *primitives_;
    if (dtype == DType::float32) {
      sgemm(transpose_a, transpose_b, m, n, k, alpha, static_cast<const float*>(a),
            static_cast<const float*>(b), beta, static_cast<float*>(c), p.loops);
      return;
    }
    MatmulEntry& e = p.matmuls.get(cache_key(transpose_a, transpose_b, m, n, k, alpha, beta, static_cast<int>(dtype)), [&] {
      auto entry = std::make_shared<MatmulEntry>();
      if (k == 0) {  // nothing to multiply: the float32 path's empty sum
        entry->emulated = true;
        return entry;
      }
      const DT t = dnnl_type(dtype);
      const memory::desc a_md({m, k}, t, transpose_a ? memory::dims{1, m} : memory::dims{k, 1});
      const memory::desc b_md({k, n}, t, transpose_b ? memory::dims{1, k} : memory::dims{n, 1});
      const memory::desc c_md({m, n}, t, memory::dims{n, 1});
      dnnl::primitive_attr attr;
      if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
      if (beta != 0.0f) {
        dnnl::post_ops ops;
        ops.append_sum(beta);
        attr.set_post_ops(ops);
      }
      auto pd = native_half<dnnl::matmul::primitive_desc>(dtype, [&] {
        return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), attr, p.engine);
      });
      if (!pd) {
        entry->emulated = true;
        return entry;
      }
      entry->pd = *pd;
      entry->primitive = dnnl::matmul(entry->pd);
      return entry;
    });
    if (e.emulated) {
      const float* a32 = p.scratch.widen(0, p.loops, a, dtype, m * k);
      const float* b32 = p.scratch.widen(1, p.loops, b, dtype, k * n);
      float* c32 = beta == 0.0f ? p.scratch.get(2, m * n) : const_cast<float*>(p.scratch.widen(2, p.loops, c, dtype, m * n));
      sgemm(transpose_a, transpose_b, m, n, k, alpha, a32, b32, beta, c32, p.loops);
      p.loops.cast(c32, DType::float32, c, dtype, static_cast<std::size_t>(m * n));
      return;
    }
    memory a_mem(e.pd.src_desc(), p.engine, const_cast<void*>(a));
    memory b_mem(e.pd.weights_desc(), p.engine, const_cast<void*>(b));
    memory c_mem(e.pd.dst_desc(), p.engine, c);
    e.primitive.execute(p.stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}});
  });
}

}  // namespace keras::cpu
