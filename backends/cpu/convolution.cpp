// Convolutions on oneDNN: forward with bias and relu fused as a post-op, backward data and
// backward weights. Activations stay NHWC (oneDNN's nhwc kernels read them in place); kernels
// are reordered from Keras' HWIO into the layout oneDNN picks. bfloat16 and float16 storage run
// natively where this CPU has the kernels, else widened to float32 around the float32 kernels
// (half_precision.hpp).
//
// oneDNN's relu post-op is max(x, 0), which turns NaN into 0. The fused path runs only when no
// output can be NaN: no NaN among the operands and no overflow possible (max|x| * max|w| times
// the window size, plus max|bias|, below FLT_MAX). Otherwise the convolution runs unfused and
// relu follows as our NaN-keeping loop. The check is one read of the input per call (for 16-bit
// operands, the same read as the non-finite scan below).
//
// Native 16-bit kernels multiply padding into their sums (zeros at the borders, and the zero
// that pads an odd reduction for AVX-512 BF16's paired products), so an infinite operand gives
// NaN there where the reference, skipping padding, gives the infinity. A 16-bit call with a
// non-finite operand therefore runs on the float32 kernels, widened (one scan of the operands
// per call; such values are rare and usually mean training has already diverged).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <vector>

#include "dnnl_primitives.hpp"

namespace keras::cpu {

// The memory descriptions of one geometry: the caller's layouts and what the primitives ask for.
struct ConvDescs {
  memory::desc user_src, user_weights, user_dst, bias;
  memory::desc src, weights, dst;  // what the primitives are asked for
  memory::dims strides, dilates, pad_l, pad_r;
};

struct ConvolutionEntry {
  bool emulated = false;  // 16-bit storage, float32 kernel on widened operands
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;
  Staged forward_src, forward_weights;
};

// Both backward passes of one geometry, each created on its first call.
struct ConvolutionBackwardEntry {
  bool data_emulated = false, weights_emulated = false;
  std::optional<dnnl::convolution_backward_data::primitive_desc> data_pd;
  dnnl::convolution_backward_data backward_data;
  Staged data_diff_dst, data_weights, data_diff_src;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> weights_pd;
  dnnl::convolution_backward_weights backward_weights;
  Staged weights_src, weights_diff_dst, weights_diff_weights;
};

namespace {

std::int64_t right_padding(std::int64_t in, std::int64_t out, std::int64_t kernel,
                           std::int64_t stride, std::int64_t dilation, std::int64_t left) {
  const std::int64_t extent = (kernel - 1) * dilation + 1;
  return std::max<std::int64_t>(0, (out - 1) * stride + extent - in - left);
}

// `compute` is the operands' data type inside the primitive and in the caller's memory:
// the storage type natively, float32 for float32 and for widened 16-bit operands.
ConvDescs describe(const Conv2DGeometry& g, DT compute) {
  ConvDescs d;
  const memory::dims src_dims{g.batch, g.in_c, g.in_h, g.in_w};
  const memory::dims dst_dims{g.batch, g.out_c, g.out_h, g.out_w};
  memory::dims w_dims;
  Tag w_tag;
  if (g.groups == 1) {
    w_dims = {g.out_c, g.in_c, g.kernel_h, g.kernel_w};
    w_tag = Tag::hwio;
  } else {  // Keras' (kh, kw, in/g, out) with out = g * out/g is oneDNN's hwigo
    w_dims = {g.groups, g.out_c / g.groups, g.in_c / g.groups, g.kernel_h, g.kernel_w};
    w_tag = Tag::hwigo;
  }
  d.user_src = memory::desc(src_dims, compute, Tag::nhwc);
  d.user_dst = memory::desc(dst_dims, compute, Tag::nhwc);
  d.user_weights = memory::desc(w_dims, compute, w_tag);
  d.bias = memory::desc({g.out_c}, compute, Tag::x);
  d.src = memory::desc(src_dims, compute, Tag::nhwc);
  d.dst = d.user_dst;
  d.weights = memory::desc(w_dims, compute, Tag::any);
  d.strides = {g.stride_h, g.stride_w};
  d.dilates = {g.dilation_h - 1, g.dilation_w - 1};
  d.pad_l = {g.pad_top, g.pad_left};
  d.pad_r = {right_padding(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top),
             right_padding(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left)};
  return d;
}

std::int64_t input_count(const Conv2DGeometry& g) { return g.batch * g.in_h * g.in_w * g.in_c; }
std::int64_t output_count(const Conv2DGeometry& g) { return g.batch * g.out_h * g.out_w * g.out_c; }
std::int64_t kernel_count(const Conv2DGeometry& g) {
  return g.kernel_h * g.kernel_w * (g.in_c / g.groups) * g.out_c;
}

std::string key_of(const Conv2DGeometry& g, bool bias, FusedActivation act) {
  return cache_key(g.batch, g.in_h, g.in_w, g.in_c, g.kernel_h, g.kernel_w, g.out_c, g.stride_h,
                   g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, g.out_h,
                   g.out_w, g.groups, static_cast<int>(g.dtype), bias,
                   static_cast<int>(act));
}

std::string what(const Conv2DGeometry& g, const char* pass) {
  return std::string("conv2d ") + pass + " (input " + std::to_string(g.batch) + "x" +
         std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.in_c) +
         ", kernel " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) + ", " +
         std::to_string(g.out_c) + " filters, groups " + std::to_string(g.groups) + ", " +
         to_string(g.dtype) + ")";
}

// Forward descriptor; backward primitives take one without post-ops as their hint.
dnnl::convolution_forward::desc forward_desc(const ConvDescs& d, bool with_bias) {
  using dnnl::algorithm, dnnl::prop_kind;
  if (with_bias) {
    return {prop_kind::forward_training, algorithm::convolution_direct, d.src, d.weights, d.bias,
            d.dst, d.strides, d.dilates, d.pad_l, d.pad_r};
  }
  return {prop_kind::forward_training, algorithm::convolution_direct, d.src, d.weights, d.dst,
          d.strides, d.dilates, d.pad_l, d.pad_r};
}

// Creates the primitive descriptor `make(compute type)` for g's storage: float32, native
// 16-bit, or (setting `emulated`) float32 for widened 16-bit operands.
template <class PrimitiveDesc, class Make>
PrimitiveDesc for_storage(const Conv2DGeometry& g, bool& emulated, Make&& make) {
  if (g.dtype != DType::float32) {
    if (auto native = native_half<PrimitiveDesc>(g.dtype, [&] { return make(dnnl_type(g.dtype)); })) return *native;
    emulated = true;
  }
  return make(DT::f32);
}

// The type the caller's memory has inside the primitives of one entry.
DT used_type(const Conv2DGeometry& g, bool emulated) {
  return emulated ? DT::f32 : dnnl_type(g.dtype);
}

ConvolutionEntry& entry_for(CpuBackend::Primitives& p, const Conv2DGeometry& g, bool with_bias,
                            FusedActivation act) {
  return p.convolutions.get(key_of(g, with_bias, act), [&] {
    dnnl::primitive_attr attr;
    if (act == FusedActivation::relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      attr.set_post_ops(ops);
    }
    auto e = std::make_shared<ConvolutionEntry>();
    e->forward_pd = for_storage<dnnl::convolution_forward::primitive_desc>(g, e->emulated, [&](DT compute) {
      return dnnl::convolution_forward::primitive_desc(forward_desc(describe(g, compute), with_bias), attr, p.engine);
    });
    e->forward = dnnl::convolution_forward(e->forward_pd);
    const ConvDescs d = describe(g, used_type(g, e->emulated));
    e->forward_src = Staged(p.engine, d.user_src, e->forward_pd.src_desc());
    e->forward_weights = Staged(p.engine, d.user_weights, e->forward_pd.weights_desc());
    return e;
  });
}

ConvolutionBackwardEntry& backward_entry_for(CpuBackend::Primitives& p, const Conv2DGeometry& g) {
  return p.convolution_backwards.get(key_of(g, false, FusedActivation::none),
                                     [] { return std::make_shared<ConvolutionBackwardEntry>(); });
}

// The forward hint backward primitives need: same shapes, no bias, no post-ops.
dnnl::convolution_forward::primitive_desc hint_for(CpuBackend::Primitives& p, const ConvDescs& d) {
  return dnnl::convolution_forward::primitive_desc(forward_desc(d, false), p.engine);
}

// Whether a relu fused as oneDNN's post-op gives what the NaN-keeping relu gives (see the top),
// from the operands' largest magnitudes.
bool relu_may_fuse(const Conv2DGeometry& g, double max_x, double max_w, double max_b) {
  const double window = static_cast<double>(g.kernel_h * g.kernel_w * (g.in_c / g.groups));
  // 2x margin: float32 partial sums may exceed the exact bound a little.
  const double bound = 2.0 * (max_x * max_w * window + max_b);
  return bound < static_cast<double>(FLT_MAX);  // false for NaN and infinity
}
bool relu_may_fuse(CpuBackend::Primitives& p, const Conv2DGeometry& g, const float* x, const float* w,
                   const float* bias) {
  return relu_may_fuse(g, p.loops.max_magnitude(x, input_count(g)), p.loops.max_magnitude(w, kernel_count(g)),
                       bias ? p.loops.max_magnitude(bias, g.out_c) : 0.0);
}

// The memory one backward pass reads and writes: the caller's, or, where 16-bit storage is
// emulated, float32 scratch (the two operands widened into slots 0 and 1, the result in 2).
struct PassMemory {
  const void* first;
  const void* second;
  void* result;
};
PassMemory pass_memory(CpuBackend::Primitives& p, DType dtype, bool widen, const void* first, std::int64_t first_n,
                       const void* second, std::int64_t second_n, void* result, std::int64_t result_n) {
  if (!widen) return {first, second, result};
  return {p.scratch.widen(0, p.loops, first, dtype, first_n), p.scratch.widen(1, p.loops, second, dtype, second_n),
          p.scratch.get(2, result_n)};
}
// Rounds a widened pass's float32 result into the caller's 16-bit memory.
void finish_pass(CpuBackend::Primitives& p, DType dtype, bool widen, const PassMemory& m, void* result,
                 std::int64_t result_n) {
  if (!widen) return;
  p.stream.wait();
  p.loops.cast(m.result, DType::float32, result, dtype, static_cast<std::size_t>(result_n));
}

// The largest magnitude in 16-bit memory (0 for none), infinity where it holds an infinity or a
// NaN: with the sign bit cleared, a bfloat16's or float16's bits order as its magnitude does.
double max_magnitude_half(const Loops& loops, const void* x, DType dtype, std::int64_t n) {
  if (!x) return 0.0;
  const auto* v = static_cast<const std::uint16_t*>(x);
  std::uint16_t top = 0;
  for (std::int64_t i = 0; i < n; ++i) top = std::max<std::uint16_t>(top, v[i] & 0x7fff);
  if (top >= (dtype == DType::bfloat16 ? 0x7f80 : 0x7c00)) return std::numeric_limits<double>::infinity();
  float value = 0.0f;
  loops.cast(&top, dtype, &value, DType::float32, 1);
  return value;
}
bool any_non_finite(const Loops& loops, const void* x, DType dtype, std::int64_t n) {
  return std::isinf(max_magnitude_half(loops, x, dtype, n));
}

Conv2DGeometry float32_geometry(Conv2DGeometry g) {
  g.dtype = DType::float32;
  return g;
}

// 16-bit memory of n elements (null for an absent operand, such as a missing bias).
struct HalfOperand {
  const void* data;
  std::int64_t n;
};
// Runs a 16-bit pass on the float32 kernels (for non-finite operands, see the top): the operands
// widened into float32 copies (a null one stays null), pass(result32, operands32) run, and its
// float32 result rounded once into `result` (result_n elements of `dtype`).
void on_widened_operands(const Loops& loops, DType dtype, std::initializer_list<HalfOperand> operands, void* result,
                         std::int64_t result_n,
                         const std::function<void(float*, const std::vector<const float*>&)>& pass) {
  std::vector<std::vector<float>> wide;
  wide.reserve(operands.size());
  std::vector<const float*> pointers;
  for (const HalfOperand& o : operands) {
    wide.emplace_back(o.data ? static_cast<std::size_t>(o.n) : 0);
    if (o.data) loops.cast(o.data, dtype, wide.back().data(), DType::float32, wide.back().size());
    pointers.push_back(o.data ? wide.back().data() : nullptr);
  }
  std::vector<float> result32(static_cast<std::size_t>(result_n));
  pass(result32.data(), pointers);
  loops.cast(result32.data(), DType::float32, result, dtype, result32.size());
}

}  // namespace

void CpuBackend::conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w,
                                const void* bias, FusedActivation act, void* y) {
  const bool half = g.dtype != DType::float32;
  // 16-bit operands: one scan each gives both the non-finite test and relu's fusion bound.
  const double max_x = half ? max_magnitude_half(loops_, x, g.dtype, input_count(g)) : 0.0;
  const double max_w = half ? max_magnitude_half(loops_, w, g.dtype, kernel_count(g)) : 0.0;
  const double max_b = half ? max_magnitude_half(loops_, bias, g.dtype, g.out_c) : 0.0;
  if (std::isinf(max_x) || std::isinf(max_w) || std::isinf(max_b)) {
    return on_widened_operands(loops_, g.dtype, {{x, input_count(g)}, {w, kernel_count(g)}, {bias, g.out_c}}, y,
                               output_count(g), [&](float* y32, const std::vector<const float*>& in) {
                                 conv2d_forward(float32_geometry(g), in[0], in[1], in[2], act, y32);
                               });
  }
  run_dnnl(*primitives_, [&] { return what(g, "forward"); }, [&] {
    auto& p = *primitives_;
    // Whether this CPU has the 16-bit kernel decides where the operands live.
    const bool widen = half && entry_for(p, g, bias != nullptr, FusedActivation::none).emulated;
    const void *xs = x, *ws = w, *bs = bias;
    void* ys = y;
    if (widen) {
      xs = p.scratch.widen(0, p.loops, x, g.dtype, input_count(g));
      ws = p.scratch.widen(1, p.loops, w, g.dtype, kernel_count(g));
      if (bias) bs = p.scratch.widen(3, p.loops, bias, g.dtype, g.out_c);
      ys = p.scratch.get(2, output_count(g));
    }
    bool fuse = act == FusedActivation::relu &&
                (half ? relu_may_fuse(g, max_x, max_w, max_b)
                      : relu_may_fuse(p, g, static_cast<const float*>(xs), static_cast<const float*>(ws),
                                      static_cast<const float*>(bs)));
    ConvolutionEntry* fused = fuse ? &entry_for(p, g, bias != nullptr, act) : nullptr;
    if (fused && fused->emulated != widen) fuse = false;  // no native kernel with the post-op: unfused
    ConvolutionEntry& e = fuse ? *fused : entry_for(p, g, bias != nullptr, FusedActivation::none);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, e.forward_src.in(p.stream, xs)},
        {DNNL_ARG_WEIGHTS, e.forward_weights.in(p.stream, ws)},
        {DNNL_ARG_DST, memory(e.forward_pd.dst_desc(), p.engine, ys)}};  // asked for as NHWC
    if (bias) args.emplace(DNNL_ARG_BIAS, memory(e.forward_pd.bias_desc(), p.engine, const_cast<void*>(bs)));
    e.forward.execute(p.stream, args);
    p.stream.wait();
    const auto n = static_cast<std::size_t>(output_count(g));
    const UnaryParams relu{0.0f, 0.0f, std::numeric_limits<float>::infinity()};
    if (act == FusedActivation::relu && !fuse) {
      float* y32 = half && !widen ? const_cast<float*>(p.scratch.widen(2, p.loops, y, g.dtype, output_count(g)))
                                  : static_cast<float*>(ys);
      p.loops.unary(UnaryOp::relu, relu, y32, y32, n);
      if (half && !widen) p.loops.cast(y32, DType::float32, y, g.dtype, n);
    }
    if (widen) p.loops.cast(ys, DType::float32, y, g.dtype, n);
  });
}

void CpuBackend::conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w,
                                      void* dx) {
  if (g.dtype != DType::float32 && (any_non_finite(loops_, dy, g.dtype, output_count(g)) || any_non_finite(loops_, w, g.dtype, kernel_count(g)))) {
    return on_widened_operands(loops_, g.dtype, {{dy, output_count(g)}, {w, kernel_count(g)}}, dx, input_count(g),
                               [&](float* dx32, const std::vector<const float*>& in) {
                                 conv2d_backward_data(float32_geometry(g), in[0], in[1], dx32);
                               });
  }
  run_dnnl(*primitives_, [&] { return what(g, "backward data"); }, [&] {
    auto& p = *primitives_;
    ConvolutionBackwardEntry& e = backward_entry_for(p, g);
    if (!e.data_pd) {
      using PD = dnnl::convolution_backward_data::primitive_desc;
      e.data_pd = for_storage<PD>(g, e.data_emulated, [&](DT compute) {
        const ConvDescs c = describe(g, compute);
        dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, c.user_src,
                                                   c.weights, c.user_dst, c.strides, c.dilates,
                                                   c.pad_l, c.pad_r);
        return PD(desc, p.engine, hint_for(p, c));
      });
      const ConvDescs d = describe(g, used_type(g, e.data_emulated));
      e.backward_data = dnnl::convolution_backward_data(*e.data_pd);
      e.data_diff_dst = Staged(p.engine, d.user_dst, e.data_pd->diff_dst_desc());
      e.data_weights = Staged(p.engine, d.user_weights, e.data_pd->weights_desc());
      e.data_diff_src = Staged(p.engine, d.user_src, e.data_pd->diff_src_desc());
    }
    const bool widen = g.dtype != DType::float32 && e.data_emulated;
    const PassMemory m = pass_memory(p, g.dtype, widen, dy, output_count(g), w, kernel_count(g), dx, input_count(g));
    memory out = e.data_diff_src.out(m.result);
    e.backward_data.execute(p.stream, {{DNNL_ARG_DIFF_DST, e.data_diff_dst.in(p.stream, m.first)},
                                       {DNNL_ARG_WEIGHTS, e.data_weights.in(p.stream, m.second)},
                                       {DNNL_ARG_DIFF_SRC, out}});
    e.data_diff_src.out_done(p.stream, m.result);
    finish_pass(p, g.dtype, widen, m, dx, input_count(g));
  });
}

void CpuBackend::conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy,
                                        void* dw) {
  if (g.dtype != DType::float32 && (any_non_finite(loops_, x, g.dtype, input_count(g)) || any_non_finite(loops_, dy, g.dtype, output_count(g)))) {
    return on_widened_operands(loops_, g.dtype, {{x, input_count(g)}, {dy, output_count(g)}}, dw, kernel_count(g),
                               [&](float* dw32, const std::vector<const float*>& in) {
                                 conv2d_backward_filter(float32_geometry(g), in[0], in[1], dw32);
                               });
  }
  run_dnnl(*primitives_, [&] { return what(g, "backward weights"); }, [&] {
    auto& p = *primitives_;
    ConvolutionBackwardEntry& e = backward_entry_for(p, g);
    if (!e.weights_pd) {
      using PD = dnnl::convolution_backward_weights::primitive_desc;
      e.weights_pd = for_storage<PD>(g, e.weights_emulated, [&](DT compute) {
        const ConvDescs c = describe(g, compute);
        const memory::desc diff_weights(c.user_weights.dims(), compute, Tag::any);
        dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, c.src,
                                                      diff_weights, c.user_dst, c.strides,
                                                      c.dilates, c.pad_l, c.pad_r);
        return PD(desc, p.engine, hint_for(p, c));
      });
      const ConvDescs d = describe(g, used_type(g, e.weights_emulated));
      e.backward_weights = dnnl::convolution_backward_weights(*e.weights_pd);
      e.weights_src = Staged(p.engine, d.user_src, e.weights_pd->src_desc());
      e.weights_diff_dst = Staged(p.engine, d.user_dst, e.weights_pd->diff_dst_desc());
      e.weights_diff_weights = Staged(p.engine, d.user_weights, e.weights_pd->diff_weights_desc());
    }
    const bool widen = g.dtype != DType::float32 && e.weights_emulated;
    const PassMemory m = pass_memory(p, g.dtype, widen, x, input_count(g), dy, output_count(g), dw, kernel_count(g));
    memory out = e.weights_diff_weights.out(m.result);
    e.backward_weights.execute(p.stream, {{DNNL_ARG_SRC, e.weights_src.in(p.stream, m.first)},
                                          {DNNL_ARG_DIFF_DST, e.weights_diff_dst.in(p.stream, m.second)},
                                          {DNNL_ARG_DIFF_WEIGHTS, out}});
    e.weights_diff_weights.out_done(p.stream, m.result);
    finish_pass(p, g.dtype, widen, m, dw, kernel_count(g));
  });
}

}  // namespace keras::cpu
