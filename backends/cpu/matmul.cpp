// Matrix products on oneDNN: float32 through its sgemm, bfloat16 through a matmul primitive
// (operands converted to bfloat16, transposes expressed as strides, float32 output), or, where
// this CPU has no bf16 matmul, through sgemm on operands rounded to bfloat16 (emulated).

#include "dnnl_primitives.hpp"

namespace keras::cpu {

struct MatmulEntry {
  bool emulated = false;  // no native bf16 kernel: sgemm on rounded operands, no primitive
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
  memory a16, b16;  // the bfloat16 copies of the operands
};

namespace {

std::string what(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k) {
  return "gemm (" + std::string(ta ? "A^T" : "A") + " " + std::to_string(m) + "x" +
         std::to_string(k) + " @ " + (tb ? "B^T " : "B ") + std::to_string(k) + "x" +
         std::to_string(n) + ")";
}

}  // namespace

void CpuBackend::gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n,
                      std::int64_t k, float alpha, const float* a, const float* b, float beta,
                      float* c, MathPrecision precision) {
  if (m == 0 || n == 0) return;
  // beta == 0 overwrites: garbage (even NaN) in c must not leak into the result.
  if (beta == 0.0f) fill(c, static_cast<std::size_t>(m * n), 0.0f);
  if (k == 0) {  // an empty sum: c = beta * c
    if (beta != 0.0f) affine(c, c, static_cast<std::size_t>(m * n), beta, 0.0f);
    return;
  }
  run_dnnl(*primitives_, [&] { return what(transpose_a, transpose_b, m, n, k); }, [&] {
    auto sgemm = [&](const float* a32, const float* b32) {
      const dnnl_status_t status =
          dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a32,
                     transpose_a ? m : k, b32, transpose_b ? k : n, beta, c, n);
      if (status != dnnl_success) throw dnnl::error(status, "dnnl_sgemm");
    };
    if (precision == MathPrecision::float32) {
      sgemm(a, b);
      return;
    }
    auto& p = *primitives_;
    MatmulEntry& e = p.matmuls.get(cache_key(transpose_a, transpose_b, m, n, k, alpha, beta), [&] {
      const memory::desc a_md({m, k}, DT::bf16, transpose_a ? memory::dims{1, m} : memory::dims{k, 1});
      const memory::desc b_md({k, n}, DT::bf16, transpose_b ? memory::dims{1, k} : memory::dims{n, 1});
      const memory::desc c_md({m, n}, DT::f32, memory::dims{n, 1});
      dnnl::primitive_attr attr;
      if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
      if (beta != 0.0f) {
        dnnl::post_ops ops;
        ops.append_sum(beta);
        attr.set_post_ops(ops);
      }
      auto entry = std::make_shared<MatmulEntry>();
      auto pd = native_bfloat16<dnnl::matmul::primitive_desc>(
          [&] { return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), attr, p.engine); });
      if (!pd) {
        entry->emulated = true;
        return entry;
      }
      entry->pd = *pd;
      entry->primitive = dnnl::matmul(entry->pd);
      entry->a16 = memory(a_md, p.engine);
      entry->b16 = memory(b_md, p.engine);
      return entry;
    });
    if (e.emulated) {
      sgemm(p.rounded.round(0, p.loops, a, m * k), p.rounded.round(1, p.loops, b, k * n));
      return;
    }
    p.loops.cast(a, DType::float32, e.a16.get_data_handle(), DType::bfloat16, static_cast<std::size_t>(m * k));
    p.loops.cast(b, DType::float32, e.b16.get_data_handle(), DType::bfloat16, static_cast<std::size_t>(k * n));
    memory c_mem(e.pd.dst_desc(), p.engine, c);
    e.primitive.execute(p.stream, {{DNNL_ARG_SRC, e.a16}, {DNNL_ARG_WEIGHTS, e.b16}, {DNNL_ARG_DST, c_mem}});
  });
}

}  // namespace keras::cpu
