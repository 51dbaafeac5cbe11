// Convolutions on oneDNN: forward with bias and relu fused as a post-op, backward data and
// backward weights. Activations stay NHWC (oneDNN's nhwc kernels read them in place); kernels
// are reordered from Keras' HWIO into the layout oneDNN picks. With bfloat16 precision the
// operands are converted on the way in (natively, or emulated where this CPU has no bf16
// kernels: bfloat16_emulation.hpp) and results come out in float32.
//
// oneDNN's relu post-op is max(x, 0), which turns NaN into 0. The fused path runs only when no
// output can be NaN: no NaN among the operands and no overflow possible (max|x| * max|w| times
// the window size, plus max|bias|, below FLT_MAX). Otherwise the convolution runs unfused and
// relu follows as our NaN-keeping loop. The check is one read of the input per call.
#include <algorithm>
#include <cfloat>
#include <limits>
#include <optional>

#include "dnnl_primitives.hpp"

namespace keras::cpu {

// The memory descriptions of one geometry: the caller's layouts and what the primitives ask for.
struct ConvDescs {
  memory::desc user_src, user_weights, user_dst, bias;
  memory::desc src, weights, dst;  // what the primitives are asked for
  memory::dims strides, dilates, pad_l, pad_r;
};

struct ConvolutionEntry {
  bool emulated = false;  // bf16 asked for, float32 kernel on rounded operands
  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;
  Staged forward_src, forward_weights;
};

// Both backward passes of one geometry, each created on its first call.
struct ConvolutionBackwardEntry {
  ConvDescs descs;
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

// `compute` is the operands' data type inside the primitive (bf16 for native bfloat16).
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
  d.user_src = memory::desc(src_dims, DT::f32, Tag::nhwc);
  d.user_dst = memory::desc(dst_dims, DT::f32, Tag::nhwc);
  d.user_weights = memory::desc(w_dims, DT::f32, w_tag);
  d.bias = memory::desc({g.out_c}, DT::f32, Tag::x);
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
                   g.out_w, g.groups, static_cast<int>(g.precision), bias,
                   static_cast<int>(act));
}

std::string what(const Conv2DGeometry& g, const char* pass) {
  return std::string("conv2d ") + pass + " (input " + std::to_string(g.batch) + "x" +
         std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.in_c) +
         ", kernel " + std::to_string(g.kernel_h) + "x" + std::to_string(g.kernel_w) + ", " +
         std::to_string(g.out_c) + " filters, groups " + std::to_string(g.groups) + ")";
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

// Creates the primitive descriptor `make(compute type)` for g's precision: float32, native
// bfloat16, or (setting `emulated`) float32 for bf16-rounded operands.
template <class PrimitiveDesc, class Make>
PrimitiveDesc for_precision(const Conv2DGeometry& g, bool& emulated, Make&& make) {
  if (g.precision == MathPrecision::bfloat16) {
    if (auto native = native_bfloat16<PrimitiveDesc>([&] { return make(DT::bf16); })) return *native;
    emulated = true;
  }
  return make(DT::f32);
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
    e->forward_pd = for_precision<dnnl::convolution_forward::primitive_desc>(g, e->emulated, [&](DT compute) {
      return dnnl::convolution_forward::primitive_desc(forward_desc(describe(g, compute), with_bias), attr, p.engine);
    });
    e->forward = dnnl::convolution_forward(e->forward_pd);
    const ConvDescs d = describe(g, DT::f32);
    e->forward_src = Staged(p.engine, d.user_src, e->forward_pd.src_desc());
    e->forward_weights = Staged(p.engine, d.user_weights, e->forward_pd.weights_desc());
    return e;
  });
}

ConvolutionBackwardEntry& backward_entry_for(CpuBackend::Primitives& p, const Conv2DGeometry& g) {
  return p.convolution_backwards.get(key_of(g, false, FusedActivation::none), [&] {
    auto e = std::make_shared<ConvolutionBackwardEntry>();
    e->descs = describe(g, DT::f32);
    return e;
  });
}

// The forward hint backward primitives need: same shapes, no bias, no post-ops.
dnnl::convolution_forward::primitive_desc hint_for(CpuBackend::Primitives& p, const ConvDescs& d) {
  return dnnl::convolution_forward::primitive_desc(forward_desc(d, false), p.engine);
}

// Whether a relu fused as oneDNN's post-op gives what the NaN-keeping relu gives (see the top).
bool relu_may_fuse(CpuBackend::Primitives& p, const Conv2DGeometry& g, const float* x, const float* w,
                   const float* bias) {
  const double window = static_cast<double>(g.kernel_h * g.kernel_w * (g.in_c / g.groups));
  const double max_x = p.loops.max_magnitude(x, input_count(g));
  const double max_w = p.loops.max_magnitude(w, kernel_count(g));
  const double max_b = bias ? p.loops.max_magnitude(bias, g.out_c) : 0.0;
  // 2x margin: bfloat16 rounding and float32 partial sums may exceed the exact bound a little.
  const double bound = 2.0 * (max_x * max_w * window + max_b);
  return bound < static_cast<double>(FLT_MAX);  // false for NaN and infinity
}

}  // namespace

void CpuBackend::conv2d_forward(const Conv2DGeometry& g, const float* x, const float* w,
                                const float* bias, FusedActivation act, float* y) {
  run_dnnl(*primitives_, [&] { return what(g, "forward"); }, [&] {
    auto& p = *primitives_;
    const bool fuse = act == FusedActivation::relu && relu_may_fuse(p, g, x, w, bias);
    ConvolutionEntry& e = entry_for(p, g, bias != nullptr, fuse ? act : FusedActivation::none);
    if (e.emulated) {
      x = p.rounded.round(0, p.loops, x, input_count(g));
      w = p.rounded.round(1, p.loops, w, kernel_count(g));
    }
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, e.forward_src.in(p.stream, x)},
        {DNNL_ARG_WEIGHTS, e.forward_weights.in(p.stream, w)},
        {DNNL_ARG_DST, memory(e.forward_pd.dst_desc(), p.engine, y)}};  // asked for as NHWC f32
    if (bias) {
      args.emplace(DNNL_ARG_BIAS, memory(e.forward_pd.bias_desc(), p.engine, const_cast<float*>(bias)));
    }
    e.forward.execute(p.stream, args);
    if (act == FusedActivation::relu && !fuse) {
      p.stream.wait();
      p.loops.unary(UnaryOp::relu, {0.0f, 0.0f, std::numeric_limits<float>::infinity()}, y, y,
                    static_cast<std::size_t>(output_count(g)));
    }
  });
}

void CpuBackend::conv2d_backward_data(const Conv2DGeometry& g, const float* dy, const float* w,
                                      float* dx) {
  run_dnnl(*primitives_, [&] { return what(g, "backward data"); }, [&] {
    auto& p = *primitives_;
    ConvolutionBackwardEntry& e = backward_entry_for(p, g);
    const ConvDescs& d = e.descs;
    if (!e.data_pd) {
      using PD = dnnl::convolution_backward_data::primitive_desc;
      e.data_pd = for_precision<PD>(g, e.data_emulated, [&](DT compute) {
        const ConvDescs c = describe(g, compute);
        const memory::desc diff_dst(d.user_dst.dims(), compute, Tag::nhwc);
        dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.user_src,
                                                   c.weights, diff_dst, d.strides, d.dilates,
                                                   d.pad_l, d.pad_r);
        return PD(desc, p.engine, hint_for(p, c));
      });
      e.backward_data = dnnl::convolution_backward_data(*e.data_pd);
      e.data_diff_dst = Staged(p.engine, d.user_dst, e.data_pd->diff_dst_desc());
      e.data_weights = Staged(p.engine, d.user_weights, e.data_pd->weights_desc());
      e.data_diff_src = Staged(p.engine, d.user_src, e.data_pd->diff_src_desc());
    }
    if (e.data_emulated) {
      dy = p.rounded.round(0, p.loops, dy, output_count(g));
      w = p.rounded.round(1, p.loops, w, kernel_count(g));
    }
    memory out = e.data_diff_src.out(dx);
    e.backward_data.execute(p.stream, {{DNNL_ARG_DIFF_DST, e.data_diff_dst.in(p.stream, dy)},
                                       {DNNL_ARG_WEIGHTS, e.data_weights.in(p.stream, w)},
                                       {DNNL_ARG_DIFF_SRC, out}});
    e.data_diff_src.out_done(p.stream, dx);
  });
}

void CpuBackend::conv2d_backward_filter(const Conv2DGeometry& g, const float* x, const float* dy,
                                        float* dw) {
  run_dnnl(*primitives_, [&] { return what(g, "backward weights"); }, [&] {
    auto& p = *primitives_;
    ConvolutionBackwardEntry& e = backward_entry_for(p, g);
    const ConvDescs& d = e.descs;
    if (!e.weights_pd) {
      using PD = dnnl::convolution_backward_weights::primitive_desc;
      e.weights_pd = for_precision<PD>(g, e.weights_emulated, [&](DT compute) {
        const ConvDescs c = describe(g, compute);
        const memory::desc diff_dst(d.user_dst.dims(), compute, Tag::nhwc);
        const memory::desc diff_weights(d.user_weights.dims(), DT::f32, Tag::any);
        dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct, c.src,
                                                      diff_weights, diff_dst, d.strides,
                                                      d.dilates, d.pad_l, d.pad_r);
        return PD(desc, p.engine, hint_for(p, c));
      });
      e.backward_weights = dnnl::convolution_backward_weights(*e.weights_pd);
      e.weights_src = Staged(p.engine, d.user_src, e.weights_pd->src_desc());
      e.weights_diff_dst = Staged(p.engine, d.user_dst, e.weights_pd->diff_dst_desc());
      e.weights_diff_weights = Staged(p.engine, d.user_weights, e.weights_pd->diff_weights_desc());
    }
    if (e.weights_emulated) {
      x = p.rounded.round(0, p.loops, x, input_count(g));
      dy = p.rounded.round(1, p.loops, dy, output_count(g));
    }
    memory out = e.weights_diff_weights.out(dw);
    e.backward_weights.execute(p.stream, {{DNNL_ARG_SRC, e.weights_src.in(p.stream, x)},
                                          {DNNL_ARG_DIFF_DST, e.weights_diff_dst.in(p.stream, dy)},
                                          {DNNL_ARG_DIFF_WEIGHTS, out}});
    e.weights_diff_weights.out_done(p.stream, dw);
  });
}

}  // namespace keras::cpu
