// The CUDA backend's matrix products (cuBLAS) and the bias + activation epilogue.
#include <cublas_v2.h>

#include "../common/element_rules.hpp"
#include "keras/core/tensor_float_32.hpp"
#include "launch.cuh"

namespace keras::cuda_backend {

namespace {

cudaDataType_t cuda_type(DType dtype) {
  switch (dtype) {
    case DType::bfloat16: return CUDA_R_16BF;
    case DType::float16: return CUDA_R_16F;
    default: return CUDA_R_32F;
  }
}

// float32 accumulation for every storage type; float32 products may use TF32 tensor cores when
// keras::config enables TF32 (cuBLAS then rounds the inputs to 10 mantissa bits).
cublasComputeType_t compute_type(DType dtype) {
  return dtype == DType::float32 && config::tensor_float_32_execution_enabled() ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                                : CUBLAS_COMPUTE_32F;
}

__global__ void bias_add_kernel(const float* x, const float* bias, float* y, std::int64_t cols, FusedActivation act,
                                std::size_t n) {
  KERASCPP_GRID_STRIDE(e, n) {
    const float v = x[e] + bias[static_cast<std::int64_t>(e) % cols];
    y[e] = act == FusedActivation::relu ? element_rules::fused_relu(v) : v;
  }
}

}  // namespace

void CudaBackend::gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                       const void* a, const void* b, float beta, void* c, DType dtype) {
  if (m == 0 || n == 0) return;
  activate();
  const auto count = static_cast<std::size_t>(m * n);
  if (k == 0) {  // c = beta * c, as the reference leaves it (cuBLAS may return early)
    if (beta == 0.0f) {
      check(cudaMemsetAsync(c, 0, count * size_of(dtype), stream()), "cudaMemsetAsync", "gemm (k = 0)");
    } else if (dtype == DType::float32) {
      affine(static_cast<float*>(c), static_cast<float*>(c), count, beta, 0.0f);
    } else {
      Scratch wide(*this, count * sizeof(float));
      cast(c, dtype, wide.get(), DType::float32, count);
      affine(wide.as<float>(), wide.as<float>(), count, beta, 0.0f);
      cast(wide.get(), DType::float32, c, dtype, count);
    }
    return;
  }
  note_kernel("gemm");
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  const cudaDataType_t type = cuda_type(dtype);
  const int lda = static_cast<int>(transpose_a ? m : k), ldb = static_cast<int>(transpose_b ? k : n);
  check(cublas_library().gemm_ex(cublas_, transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N, transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                     static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b, type, ldb, a, type, lda,
                     &beta, c, type, static_cast<int>(n), compute_type(dtype), CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx",
        "gemm (" + std::to_string(m) + "x" + std::to_string(k) + " by " + std::to_string(k) + "x" + std::to_string(n) +
            ", " + to_string(dtype) + ")");
}

void CudaBackend::bias_add(const float* x, const float* bias, float* y, std::int64_t rows, std::int64_t cols,
                           FusedActivation act) {
  const auto n = static_cast<std::size_t>(rows * cols);
  launch(*this, "bias_add", n, bias_add_kernel, x, bias, y, cols, act, n);
}

}  // namespace keras::cuda_backend
