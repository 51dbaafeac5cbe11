// The CUDA backend's 2-D convolutions: cuDNN's convolution functions (NHWC activations, KRSC
// filters), their algorithm picked once per shape, dtype and direction by cuDNN's heuristics
// and cached (algorithm_cache.hpp); our own direct kernels where cuDNN has no algorithm for a
// geometry. docs/backends.md says why the legacy convolution API and not the graph API.
//
// Keras' kernels are HWIO; cuDNN's NHWC filters are KRSC (out, h, w, in/groups), so the kernel
// is permuted into a scratch buffer for each call (and the filter gradient back). Keras' "same"
// padding puts the odd row at the bottom/right, which cuDNN's symmetric padding cannot say:
// those inputs are padded explicitly first.
#include <cudnn.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>

#include "../common/element_rules.hpp"
#include "keras/core/errors.hpp"
#include "keras/core/tensor_float_32.hpp"
#include "launch.cuh"
#include "nhwc_copies.cuh"

namespace keras::cuda_backend {

namespace rules = element_rules;

namespace {

constexpr std::size_t kMaxWorkspace = std::size_t{1} << 30;

cudnnDataType_t cudnn_type(DType dtype) {
  switch (dtype) {
    case DType::bfloat16: return CUDNN_DATA_BFLOAT16;
    case DType::float16: return CUDNN_DATA_HALF;
    default: return CUDNN_DATA_FLOAT;
  }
}

__device__ float load(const void* p, DType t, std::size_t i) {
  switch (t) {
    case DType::bfloat16:
      return __uint_as_float(static_cast<std::uint32_t>(static_cast<const std::uint16_t*>(p)[i]) << 16);
    case DType::float16: return rules::float_of_float16_bits(static_cast<const std::uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}
__device__ void store(void* p, DType t, std::size_t i, float v) {
  switch (t) {
    case DType::bfloat16: static_cast<std::uint16_t*>(p)[i] = static_cast<std::uint16_t>(rules::bfloat16_bits_of(v)); break;
    case DType::float16: static_cast<std::uint16_t*>(p)[i] = rules::float16_bits_of(v); break;
    default: static_cast<float*>(p)[i] = v;
  }
}

__global__ void bias_activation_kernel(void* y, const void* bias, DType t, std::int64_t channels, FusedActivation act,
                                       std::size_t n) {
  KERASCPP_GRID_STRIDE(e, n) {
    float v = load(y, t, e);
    if (bias) v += load(bias, t, static_cast<std::size_t>(static_cast<std::int64_t>(e) % channels));
    if (act == FusedActivation::relu) v = rules::fused_relu(v);
    store(y, t, e, v);
  }
}

// The direct kernels: one thread per result element, float32 sums, HWIO kernels as given.
__global__ void direct_forward_kernel(Conv2DGeometry g, const void* x, const void* w, void* y, std::size_t total) {
  const std::int64_t cin = g.in_c / g.groups, cout = g.out_c / g.groups;
  KERASCPP_GRID_STRIDE(e, total) {
    const std::int64_t oc = static_cast<std::int64_t>(e) % g.out_c;
    std::int64_t rest = static_cast<std::int64_t>(e) / g.out_c;
    const std::int64_t ox = rest % g.out_w;
    rest /= g.out_w;
    const std::int64_t oy = rest % g.out_h, b = rest / g.out_h;
    const std::int64_t group = oc / cout;
    float acc = 0.0f;
    for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const std::int64_t iy = oy * g.stride_h - g.pad_top + kh * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const std::int64_t ix = ox * g.stride_w - g.pad_left + kw * g.dilation_w;
        if (ix < 0 || ix >= g.in_w) continue;
        const std::size_t xbase = static_cast<std::size_t>(((b * g.in_h + iy) * g.in_w + ix) * g.in_c + group * cin);
        const std::size_t wbase = static_cast<std::size_t>((kh * g.kernel_w + kw) * cin * g.out_c + oc);
        for (std::int64_t ci = 0; ci < cin; ++ci) acc += load(x, g.dtype, xbase + ci) * load(w, g.dtype, wbase + ci * g.out_c);
      }
    }
    store(y, g.dtype, e, acc);
  }
}

__global__ void direct_backward_data_kernel(Conv2DGeometry g, const void* dy, const void* w, void* dx, std::size_t total) {
  const std::int64_t cin = g.in_c / g.groups, cout = g.out_c / g.groups;
  KERASCPP_GRID_STRIDE(e, total) {
    const std::int64_t c = static_cast<std::int64_t>(e) % g.in_c;
    std::int64_t rest = static_cast<std::int64_t>(e) / g.in_c;
    const std::int64_t ix = rest % g.in_w;
    rest /= g.in_w;
    const std::int64_t iy = rest % g.in_h, b = rest / g.in_h;
    const std::int64_t group = c / cin, ci = c % cin;
    float acc = 0.0f;
    for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const std::int64_t ty = iy + g.pad_top - kh * g.dilation_h;
      if (ty < 0 || ty % g.stride_h) continue;
      const std::int64_t oy = ty / g.stride_h;
      if (oy >= g.out_h) continue;
      for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const std::int64_t tx = ix + g.pad_left - kw * g.dilation_w;
        if (tx < 0 || tx % g.stride_w) continue;
        const std::int64_t ox = tx / g.stride_w;
        if (ox >= g.out_w) continue;
        const std::size_t dybase = static_cast<std::size_t>(((b * g.out_h + oy) * g.out_w + ox) * g.out_c + group * cout);
        const std::size_t wbase = static_cast<std::size_t>(((kh * g.kernel_w + kw) * cin + ci) * g.out_c + group * cout);
        for (std::int64_t o = 0; o < cout; ++o) acc += load(dy, g.dtype, dybase + o) * load(w, g.dtype, wbase + o);
      }
    }
    store(dx, g.dtype, e, acc);
  }
}

__global__ void direct_backward_filter_kernel(Conv2DGeometry g, const void* x, const void* dy, void* dw, std::size_t total) {
  const std::int64_t cin = g.in_c / g.groups, cout = g.out_c / g.groups;
  KERASCPP_GRID_STRIDE(e, total) {
    const std::int64_t oc = static_cast<std::int64_t>(e) % g.out_c;
    std::int64_t rest = static_cast<std::int64_t>(e) / g.out_c;
    const std::int64_t ci = rest % cin;
    rest /= cin;
    const std::int64_t kw = rest % g.kernel_w, kh = rest / g.kernel_w;
    const std::int64_t c = (oc / cout) * cin + ci;
    float acc = 0.0f;
    for (std::int64_t b = 0; b < g.batch; ++b) {
      for (std::int64_t oy = 0; oy < g.out_h; ++oy) {
        const std::int64_t iy = oy * g.stride_h - g.pad_top + kh * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) continue;
        for (std::int64_t ox = 0; ox < g.out_w; ++ox) {
          const std::int64_t ix = ox * g.stride_w - g.pad_left + kw * g.dilation_w;
          if (ix < 0 || ix >= g.in_w) continue;
          acc += load(x, g.dtype, static_cast<std::size_t>(((b * g.in_h + iy) * g.in_w + ix) * g.in_c + c)) *
                 load(dy, g.dtype, static_cast<std::size_t>(((b * g.out_h + oy) * g.out_w + ox) * g.out_c + oc));
        }
      }
    }
    store(dw, g.dtype, e, acc);
  }
}

// float32 convolutions: TF32 tensor cores allowed (CUDNN_DEFAULT_MATH permits them on Ampere and
// later, never a conversion to 16 bits) when keras::config enables TF32, else FMA kernels only.
cudnnMathType_t float32_math() {
  return config::tensor_float_32_execution_enabled() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

std::string geometry_key(const char* direction, const Conv2DGeometry& g) {
  std::string key = direction;
  for (std::int64_t v : {g.batch, g.in_h, g.in_w, g.in_c, g.kernel_h, g.kernel_w, g.out_c, g.stride_h, g.stride_w,
                         g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, g.out_h, g.out_w, g.groups}) {
    key += ' ' + std::to_string(v);
  }
  key += ' ' + to_string(g.dtype);
  // A choice ranked under one math mode is not reused under the other.
  return g.dtype == DType::float32 && config::tensor_float_32_execution_enabled() ? key + " tf32" : key;
}

std::string describe(const Conv2DGeometry& g) {
  return "input " + std::to_string(g.batch) + "x" + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" +
         std::to_string(g.in_c) + ", kernel " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) + ", " +
         std::to_string(g.out_c) + " filters, groups " + std::to_string(g.groups) + ", " + to_string(g.dtype);
}

// The extra zeros a geometry needs beyond cuDNN's symmetric padding: none when cuDNN's own
// output size with (pad_top, pad_left) on both sides is the geometry's.
struct Padding {
  bool explicit_pad = false;
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;  // applied to the input first
  std::int64_t h = 0, w = 0;                               // the input cuDNN sees
};
Padding padding_for(const Conv2DGeometry& g) {
  const std::int64_t eh = (g.kernel_h - 1) * g.dilation_h + 1, ew = (g.kernel_w - 1) * g.dilation_w + 1;
  const auto symmetric_out = [](std::int64_t in, std::int64_t pad, std::int64_t extent, std::int64_t stride) {
    return (in + 2 * pad - extent) / stride + 1;
  };
  Padding p;
  p.h = g.in_h, p.w = g.in_w;
  if (symmetric_out(g.in_h, g.pad_top, eh, g.stride_h) == g.out_h &&
      symmetric_out(g.in_w, g.pad_left, ew, g.stride_w) == g.out_w) {
    return p;
  }
  p.explicit_pad = true;
  p.top = g.pad_top, p.left = g.pad_left;
  p.bottom = std::max<std::int64_t>(0, (g.out_h - 1) * g.stride_h + eh - g.in_h - g.pad_top);
  p.right = std::max<std::int64_t>(0, (g.out_w - 1) * g.stride_w + ew - g.in_w - g.pad_left);
  p.h = g.in_h + p.top + p.bottom, p.w = g.in_w + p.left + p.right;
  return p;
}

// Says once per process and direction that cuDNN ran none of its algorithms for a geometry, so
// that a slow run on the direct kernels is explained.
void note_direct_fallback(const char* direction, const Conv2DGeometry& g) {
  static std::mutex mutex;
  static std::set<std::string> noted;
  std::lock_guard lock(mutex);
  if (!noted.insert(direction).second) return;
  std::fprintf(stderr, "kerascpp: cuda: cuDNN has no algorithm that runs conv2d %s for %s; using kerascpp's direct "
               "kernels (correct, slower); later geometries are not reported\n", direction, describe(g).c_str());
}

template <class Perf>
std::vector<ConvChoice> choices_of(const Perf* perf, int returned, DType dtype) {
  std::vector<ConvChoice> choices;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > kMaxWorkspace) continue;
    // float32 runs as keras::config's TF32 switch says (float32_math); 16-bit storage runs in the
    // math mode the heuristics ranked the algorithm with.
    const cudnnMathType_t math = dtype == DType::float32 ? float32_math() : perf[i].mathType;
    choices.push_back({static_cast<int>(perf[i].algo), perf[i].memory, static_cast<int>(math)});
  }
  return choices;
}

// Runs cuDNN's candidates for one direction through the cache: `rank` asks the heuristics,
// `call(choice, workspace)` runs one after its math mode is set and its workspace taken from the
// caching allocator (a workspace that does not fit skips to the next candidate).
template <class Rank, class Call>
bool run_cudnn(CudaBackend& be, AlgorithmCache<ConvChoice>& cache, const std::string& key,
               cudnnConvolutionDescriptor_t conv, Rank rank, Call call) {
  return cache
      .run(key, rank,
           [&](const ConvChoice& c) {
             try {
               CudaBackend::Scratch workspace(be, c.workspace);
               if (cudnnSetConvolutionMathType(conv, static_cast<cudnnMathType_t>(c.math_type)) != CUDNN_STATUS_SUCCESS) {
                 return false;
               }
               return call(c, workspace.get()) == CUDNN_STATUS_SUCCESS;
             } catch (const BackendError&) {
               return false;
             }
           })
      .has_value();
}

// The heuristics' ranking of up to Count algorithms, as choices (none if the query fails).
template <class Perf, int Count, class Query>
std::vector<ConvChoice> ranked(DType dtype, Query query) {
  Perf perf[Count];
  int returned = 0;
  if (query(Count, &returned, perf) != CUDNN_STATUS_SUCCESS) returned = 0;
  return choices_of(perf, returned, dtype);
}

}  // namespace

// Sets the four descriptors for g (with the padded input size of p) under cudnn_mutex_.
void CudaBackend::conv_descriptors(const Conv2DGeometry& g) {
  const Padding p = padding_for(g);
  const cudnnDataType_t type = cudnn_type(g.dtype);
  const std::string what = "conv2d (" + describe(g) + ")";
  auto i = [](std::int64_t v) { return static_cast<int>(v); };
  check(cudnnSetTensor4dDescriptor(x_desc_, CUDNN_TENSOR_NHWC, type, i(g.batch), i(g.in_c), i(p.h), i(p.w)),
        "cudnnSetTensor4dDescriptor", what);
  check(cudnnSetTensor4dDescriptor(y_desc_, CUDNN_TENSOR_NHWC, type, i(g.batch), i(g.out_c), i(g.out_h), i(g.out_w)),
        "cudnnSetTensor4dDescriptor", what);
  check(cudnnSetFilter4dDescriptor(w_desc_, type, CUDNN_TENSOR_NHWC, i(g.out_c), i(g.in_c / g.groups), i(g.kernel_h),
                                   i(g.kernel_w)),
        "cudnnSetFilter4dDescriptor", what);
  check(cudnnSetConvolution2dDescriptor(conv_desc_, p.explicit_pad ? 0 : i(g.pad_top), p.explicit_pad ? 0 : i(g.pad_left),
                                        i(g.stride_h), i(g.stride_w), i(g.dilation_h), i(g.dilation_w),
                                        CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
        "cudnnSetConvolution2dDescriptor", what);
  check(cudnnSetConvolutionGroupCount(conv_desc_, i(g.groups)), "cudnnSetConvolutionGroupCount", what);
  check(cudnnSetConvolutionMathType(conv_desc_, g.dtype == DType::float32 ? float32_math() : CUDNN_TENSOR_OP_MATH),
        "cudnnSetConvolutionMathType", what);
}

void CudaBackend::kernel_to_krsc(const Conv2DGeometry& g, const void* hwio, void* krsc) {
  transpose(hwio, krsc, size_of(g.dtype), {g.kernel_h, g.kernel_w, g.in_c / g.groups, g.out_c}, {3, 0, 1, 2});
}

namespace {
// Pads (or crops) an NHWC tensor of 2- or 4-byte elements on this backend's stream.
void pad_input(const CudaBackend& be, const Conv2DGeometry& g, const Padding& p, const void* x, void* padded) {
  const auto total = static_cast<std::size_t>(g.batch * p.h * p.w * g.in_c);
  if (size_of(g.dtype) == 2) {
    launch(be, "conv2d (explicit padding)", total, pad_kernel<std::uint16_t>, static_cast<const std::uint16_t*>(x),
           static_cast<std::uint16_t*>(padded), g.in_h, g.in_w, g.in_c, p.top, p.left, p.h, p.w, std::uint16_t{0}, total);
  } else {
    launch(be, "conv2d (explicit padding)", total, pad_kernel<std::uint32_t>, static_cast<const std::uint32_t*>(x),
           static_cast<std::uint32_t*>(padded), g.in_h, g.in_w, g.in_c, p.top, p.left, p.h, p.w, std::uint32_t{0}, total);
  }
}
void crop_input(const CudaBackend& be, const Conv2DGeometry& g, const Padding& p, const void* padded, void* x) {
  const auto total = static_cast<std::size_t>(g.batch * g.in_h * g.in_w * g.in_c);
  if (size_of(g.dtype) == 2) {
    launch(be, "conv2d (explicit padding)", total, crop_kernel<std::uint16_t>, static_cast<const std::uint16_t*>(padded),
           static_cast<std::uint16_t*>(x), p.h, p.w, g.in_c, p.top, p.left, g.in_h, g.in_w, total);
  } else {
    launch(be, "conv2d (explicit padding)", total, crop_kernel<std::uint32_t>, static_cast<const std::uint32_t*>(padded),
           static_cast<std::uint32_t*>(x), p.h, p.w, g.in_c, p.top, p.left, g.in_h, g.in_w, total);
  }
}
std::size_t input_elements(const Conv2DGeometry& g) { return static_cast<std::size_t>(g.batch * g.in_h * g.in_w * g.in_c); }
std::size_t output_elements(const Conv2DGeometry& g) { return static_cast<std::size_t>(g.batch * g.out_h * g.out_w * g.out_c); }
std::size_t kernel_elements(const Conv2DGeometry& g) {
  return static_cast<std::size_t>(g.kernel_h * g.kernel_w * (g.in_c / g.groups) * g.out_c);
}
}  // namespace

void CudaBackend::conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w, const void* bias,
                                 FusedActivation act, void* y) {
  if (output_elements(g) == 0) return;
  activate();
  note_kernel("conv2d_forward");
  const std::size_t es = size_of(g.dtype);
  const Padding p = padding_for(g);
  bool ran = false;
  if (cudnn_) {
    std::lock_guard lock(cudnn_mutex_);
    conv_descriptors(g);
    Scratch w_krsc(*this, kernel_elements(g) * es);
    kernel_to_krsc(g, w, w_krsc.get());
    Scratch padded(*this, p.explicit_pad ? static_cast<std::size_t>(g.batch * p.h * p.w * g.in_c) * es : 0);
    if (p.explicit_pad) pad_input(*this, g, p, x, padded.get());
    const void* input = p.explicit_pad ? padded.get() : x;
    const float one = 1.0f, zero = 0.0f;
    ran = run_cudnn(
        *this, forward_algorithms_, geometry_key("forward", g), conv_desc_,
        [&] {
          return ranked<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT>(g.dtype, [&](int n, int* r, auto* perf) {
            return cudnnGetConvolutionForwardAlgorithm_v7(cudnn_, x_desc_, w_desc_, conv_desc_, y_desc_, n, r, perf);
          });
        },
        [&](const ConvChoice& c, void* workspace) {
          return cudnnConvolutionForward(cudnn_, &one, x_desc_, input, w_desc_, w_krsc.get(), conv_desc_,
                                         static_cast<cudnnConvolutionFwdAlgo_t>(c.algorithm), workspace, c.workspace,
                                         &zero, y_desc_, y);
        });
  }
  if (!ran) {
    if (cudnn_) note_direct_fallback("forward", g);
    const std::size_t total = output_elements(g);
    launch(*this, "conv2d_forward (direct)", total, direct_forward_kernel, g, x, w, y, total);
  }
  if (bias || act != FusedActivation::none) {
    const std::size_t total = output_elements(g);
    launch(*this, "conv2d_forward (bias, activation)", total, bias_activation_kernel, y, bias, g.dtype, g.out_c, act, total);
  }
}

void CudaBackend::conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w, void* dx) {
  if (input_elements(g) == 0) return;
  activate();
  note_kernel("conv2d_backward_data");
  const std::size_t es = size_of(g.dtype);
  const Padding p = padding_for(g);
  bool ran = false;
  if (cudnn_ && output_elements(g) > 0) {
    std::lock_guard lock(cudnn_mutex_);
    conv_descriptors(g);
    Scratch w_krsc(*this, kernel_elements(g) * es);
    kernel_to_krsc(g, w, w_krsc.get());
    Scratch padded(*this, p.explicit_pad ? static_cast<std::size_t>(g.batch * p.h * p.w * g.in_c) * es : 0);
    void* result = p.explicit_pad ? padded.get() : dx;
    const float one = 1.0f, zero = 0.0f;
    ran = run_cudnn(
        *this, backward_data_algorithms_, geometry_key("backward data", g), conv_desc_,
        [&] {
          return ranked<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT>(
              g.dtype, [&](int n, int* r, auto* perf) {
                return cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn_, w_desc_, y_desc_, conv_desc_, x_desc_, n, r, perf);
              });
        },
        [&](const ConvChoice& c, void* workspace) {
          return cudnnConvolutionBackwardData(cudnn_, &one, w_desc_, w_krsc.get(), y_desc_, dy, conv_desc_,
                                              static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algorithm), workspace,
                                              c.workspace, &zero, x_desc_, result);
        });
    if (ran && p.explicit_pad) crop_input(*this, g, p, padded.get(), dx);
  }
  if (!ran) {
    if (cudnn_ && output_elements(g) > 0) note_direct_fallback("backward data", g);
    const std::size_t total = input_elements(g);
    launch(*this, "conv2d_backward_data (direct)", total, direct_backward_data_kernel, g, dy, w, dx, total);
  }
}

void CudaBackend::conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy, void* dw) {
  if (kernel_elements(g) == 0) return;
  activate();
  note_kernel("conv2d_backward_filter");
  const std::size_t es = size_of(g.dtype);
  const Padding p = padding_for(g);
  bool ran = false;
  if (cudnn_ && output_elements(g) > 0 && input_elements(g) > 0) {
    std::lock_guard lock(cudnn_mutex_);
    conv_descriptors(g);
    Scratch dw_krsc(*this, kernel_elements(g) * es);
    Scratch padded(*this, p.explicit_pad ? static_cast<std::size_t>(g.batch * p.h * p.w * g.in_c) * es : 0);
    if (p.explicit_pad) pad_input(*this, g, p, x, padded.get());
    const void* input = p.explicit_pad ? padded.get() : x;
    const float one = 1.0f, zero = 0.0f;
    ran = run_cudnn(
        *this, backward_filter_algorithms_, geometry_key("backward filter", g), conv_desc_,
        [&] {
          return ranked<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT>(
              g.dtype, [&](int n, int* r, auto* perf) {
                return cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn_, x_desc_, y_desc_, conv_desc_, w_desc_, n, r,
                                                                     perf);
              });
        },
        [&](const ConvChoice& c, void* workspace) {
          return cudnnConvolutionBackwardFilter(cudnn_, &one, x_desc_, input, y_desc_, dy, conv_desc_,
                                                static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algorithm), workspace,
                                                c.workspace, &zero, w_desc_, dw_krsc.get());
        });
    if (ran) {
      transpose(dw_krsc.get(), dw, es, {g.out_c, g.kernel_h, g.kernel_w, g.in_c / g.groups}, {1, 2, 3, 0});
    }
  }
  if (!ran) {
    if (cudnn_ && output_elements(g) > 0 && input_elements(g) > 0) note_direct_fallback("backward filter", g);
    const std::size_t total = kernel_elements(g);
    launch(*this, "conv2d_backward_filter (direct)", total, direct_backward_filter_kernel, g, x, dy, dw, total);
  }
}

}  // namespace keras::cuda_backend
