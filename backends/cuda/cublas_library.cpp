#include "cublas_library.hpp"

#include <dlfcn.h>

#include <string>

#include "keras/core/errors.hpp"

namespace keras::cuda_backend {

namespace {

#define KERASCPP_QUOTE(x) #x
#define KERASCPP_NAME_OF(x) KERASCPP_QUOTE(x)  // after macro expansion: cublasCreate is cublasCreate_v2

const std::string kSoname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);

void* open_library() {
  if (void* handle = dlopen(kSoname.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  const std::string first_error = dlerror();
#ifdef KERASCPP_CUDA_LIBRARY_DIR
  const std::string beside_toolkit = std::string(KERASCPP_CUDA_LIBRARY_DIR) + "/" + kSoname;
  if (void* handle = dlopen(beside_toolkit.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
#endif
  throw BackendError("cuda backend: cannot load cuBLAS (" + first_error + "). Install CUDA " +
                     std::to_string(CUBLAS_VER_MAJOR) + "'s cuBLAS, or add the folder that holds " + kSoname +
                     " to LD_LIBRARY_PATH");
}

template <typename Function>
void bind(void* handle, Function& function, const char* symbol) {
  function = reinterpret_cast<Function>(dlsym(handle, symbol));
  if (!function) {
    throw BackendError("cuda backend: " + kSoname + " has no " + symbol + " (" + dlerror() + "); it is not CUDA " +
                       std::to_string(CUBLAS_VER_MAJOR) + "'s cuBLAS");
  }
}

CublasLibrary load() {
  void* handle = open_library();  // kept open for the process's life
  CublasLibrary lib{};
  bind(handle, lib.create, KERASCPP_NAME_OF(cublasCreate));
  bind(handle, lib.destroy, KERASCPP_NAME_OF(cublasDestroy));
  bind(handle, lib.set_stream, KERASCPP_NAME_OF(cublasSetStream));
  bind(handle, lib.set_math_mode, KERASCPP_NAME_OF(cublasSetMathMode));
  bind(handle, lib.gemm_ex, KERASCPP_NAME_OF(cublasGemmEx));
  bind(handle, lib.status_string, KERASCPP_NAME_OF(cublasGetStatusString));
  return lib;
}

}  // namespace

const CublasLibrary& cublas_library() {
  static const CublasLibrary library = load();  // a throw leaves it unset: the next call tries again
  return library;
}

}  // namespace keras::cuda_backend
