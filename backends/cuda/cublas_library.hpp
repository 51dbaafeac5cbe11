#pragma once
// cuBLAS, loaded by the first cuda backend that starts rather than by the dynamic loader at
// program start. Relocating libcublas.so takes about 0.35 s at every start of every program
// linked with the CUDA-enabled library (25,000 page faults on the CI machine), whether or not it
// ever selects the cuda backend; cuDNN and NCCL load their heavy parts lazily already. The
// backend uses six entry points, so they come from dlopen/dlsym here.
#include <cublas_v2.h>

namespace keras::cuda_backend {

struct CublasLibrary {
  decltype(&::cublasCreate) create;
  decltype(&::cublasDestroy) destroy;
  decltype(&::cublasSetStream) set_stream;
  decltype(&::cublasSetMathMode) set_math_mode;
  // The 32-bit-size overload (C++ also declares one taking int64_t sizes).
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                            const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                            cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
  decltype(&::cublasGetStatusString) status_string;
};

// Loads libcublas.so.<major this was built with> once (the library path, then the toolkit's lib
// folder the build used); a BackendError names the file and what to install or set if it cannot.
const CublasLibrary& cublas_library();

}  // namespace keras::cuda_backend
