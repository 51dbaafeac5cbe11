// Average pooling and resampling on oneDNN (NHWC in place); max pooling as our own loops
// (oneDNN's drops NaN, and its backward would need a workspace the interface does not carry);
// padding and cropping as parallel row copies.
#include <algorithm>
#include <optional>

#include "dnnl_primitives.hpp"

namespace keras::cpu {

struct PoolingEntry {  // average pooling
  dnnl::pooling_forward::primitive_desc inference_pd;
  dnnl::pooling_forward inference;
  std::optional<dnnl::pooling_forward::primitive_desc> training_pd;
  std::optional<dnnl::pooling_backward::primitive_desc> backward_pd;
  dnnl::pooling_backward backward;
};

struct ResamplingEntry {
  dnnl::resampling_forward::primitive_desc forward_pd;
  dnnl::resampling_forward forward;
  std::optional<dnnl::resampling_backward::primitive_desc> backward_pd;
  dnnl::resampling_backward backward;
};

namespace {

struct PoolDescs {
  memory::desc src, dst;
  memory::dims strides, kernel, pad_l, pad_r;
};

PoolDescs describe(const Pool2DGeometry& g) {
  PoolDescs d;
  d.src = memory::desc({g.batch, g.channels, g.in_h, g.in_w}, DT::f32, Tag::nhwc);
  d.dst = memory::desc({g.batch, g.channels, g.out_h, g.out_w}, DT::f32, Tag::nhwc);
  d.strides = {g.stride_h, g.stride_w};
  d.kernel = {g.pool_h, g.pool_w};
  d.pad_l = {g.pad_top, g.pad_left};
  d.pad_r = {std::max<std::int64_t>(0, (g.out_h - 1) * g.stride_h + g.pool_h - g.in_h - g.pad_top),
             std::max<std::int64_t>(0, (g.out_w - 1) * g.stride_w + g.pool_w - g.in_w - g.pad_left)};
  return d;
}

// Keras averages over the inputs inside the image only.
constexpr auto kAverage = dnnl::algorithm::pooling_avg_exclude_padding;

dnnl::pooling_forward::desc pool_forward_desc(dnnl::prop_kind kind, const PoolDescs& d) {
  return {kind, kAverage, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r};
}

std::string pool_what(const Pool2DGeometry& g, const char* pass) {
  return std::string("average pooling ") + pass +
         " (input " + std::to_string(g.batch) + "x" + std::to_string(g.in_h) + "x" +
         std::to_string(g.in_w) + "x" + std::to_string(g.channels) + ", window " +
         std::to_string(g.pool_h) + "x" + std::to_string(g.pool_w) + ")";
}

PoolingEntry& pool_entry(CpuBackend::Primitives& p, const Pool2DGeometry& g) {
  const std::string key = cache_key(g.batch, g.in_h, g.in_w, g.channels, g.pool_h,
                                    g.pool_w, g.stride_h, g.stride_w, g.pad_top, g.pad_left,
                                    g.out_h, g.out_w);
  return p.poolings.get(key, [&] {
    auto e = std::make_shared<PoolingEntry>();
    e->inference_pd = dnnl::pooling_forward::primitive_desc(
        pool_forward_desc(dnnl::prop_kind::forward_inference, describe(g)), p.engine);
    e->inference = dnnl::pooling_forward(e->inference_pd);
    return e;
  });
}

}  // namespace

void CpuBackend::pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x, float* y) {
  if (mode == PoolMode::max) {
    loops_.max_pool_forward(g, x, y);
    return;
  }
  run_dnnl(*primitives_, [&] { return pool_what(g, "forward"); }, [&] {
    auto& p = *primitives_;
    PoolingEntry& e = pool_entry(p, g);
    e.inference.execute(p.stream, {{DNNL_ARG_SRC, memory(e.inference_pd.src_desc(), p.engine, const_cast<float*>(x))},
                                   {DNNL_ARG_DST, memory(e.inference_pd.dst_desc(), p.engine, y)}});
  });
}

void CpuBackend::pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x,
                                 const float* y, const float* dy, float* dx) {
  if (mode == PoolMode::max) {
    loops_.max_pool_backward(g, x, y, dy, dx);
    return;
  }
  run_dnnl(*primitives_, [&] { return pool_what(g, "backward"); }, [&] {
    auto& p = *primitives_;
    PoolingEntry& e = pool_entry(p, g);
    if (!e.backward_pd) {
      const PoolDescs d = describe(g);
      e.training_pd.emplace(pool_forward_desc(dnnl::prop_kind::forward_training, d), p.engine);
      dnnl::pooling_backward::desc desc(kAverage, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r);
      e.backward_pd.emplace(desc, p.engine, *e.training_pd);
      e.backward = dnnl::pooling_backward(*e.backward_pd);
    }
    e.backward.execute(p.stream,
                       {{DNNL_ARG_DIFF_DST, memory(e.training_pd->dst_desc(), p.engine, const_cast<float*>(dy))},
                        {DNNL_ARG_DIFF_SRC, memory(e.training_pd->src_desc(), p.engine, dx)}});
  });
}

void CpuBackend::pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w,
                       std::int64_t c, std::int64_t top, std::int64_t bottom, std::int64_t left,
                       std::int64_t right, float value) {
  const std::int64_t oh = h + top + bottom, ow = w + left + right;
  parallel_for(n * oh, std::max<std::int64_t>(1, kElementwiseChunk / (ow * c)), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t b = r / oh, i = r % oh - top;
      float* out = y + r * ow * c;
      if (i < 0 || i >= h) {
        std::fill(out, out + ow * c, value);
        continue;
      }
      std::fill(out, out + left * c, value);
      std::copy_n(x + (b * h + i) * w * c, w * c, out + left * c);
      std::fill(out + (left + w) * c, out + ow * c, value);
    }
  });
}

void CpuBackend::crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w,
                        std::int64_t c, std::int64_t top, std::int64_t bottom, std::int64_t left,
                        std::int64_t right) {
  const std::int64_t oh = h - top - bottom, ow = w - left - right;
  parallel_for(n * oh, std::max<std::int64_t>(1, kElementwiseChunk / std::max<std::int64_t>(1, ow * c)),
               [&](std::int64_t r0, std::int64_t r1) {
                 for (std::int64_t r = r0; r < r1; ++r) {
                   const std::int64_t b = r / oh, i = r % oh;
                   std::copy_n(x + ((b * h + i + top) * w + left) * c, ow * c, y + r * ow * c);
                 }
               });
}

namespace {

ResamplingEntry& resampling_entry(CpuBackend::Primitives& p, Interpolation mode, std::int64_t n,
                                  std::int64_t h, std::int64_t w, std::int64_t c,
                                  std::int64_t out_h, std::int64_t out_w) {
  return p.resamplings.get(cache_key(static_cast<int>(mode), n, h, w, c, out_h, out_w), [&] {
    const memory::desc src({n, c, h, w}, DT::f32, Tag::nhwc);
    const memory::desc dst({n, c, out_h, out_w}, DT::f32, Tag::nhwc);
    const auto algorithm = mode == Interpolation::nearest ? dnnl::algorithm::resampling_nearest
                                                          : dnnl::algorithm::resampling_linear;
    auto e = std::make_shared<ResamplingEntry>();
    e->forward_pd = dnnl::resampling_forward::primitive_desc(
        dnnl::resampling_forward::desc(dnnl::prop_kind::forward_training, algorithm, src, dst), p.engine);
    e->forward = dnnl::resampling_forward(e->forward_pd);
    e->backward_pd.emplace(dnnl::resampling_backward::desc(algorithm, src, dst), p.engine, e->forward_pd);
    e->backward = dnnl::resampling_backward(*e->backward_pd);
    return e;
  });
}

std::string resize_what(const char* pass, std::int64_t n, std::int64_t h, std::int64_t w,
                        std::int64_t c, std::int64_t out_h, std::int64_t out_w) {
  return std::string("resize ") + pass + " (" + std::to_string(n) + "x" + std::to_string(h) + "x" +
         std::to_string(w) + "x" + std::to_string(c) + " to " + std::to_string(out_h) + "x" +
         std::to_string(out_w) + ")";
}

}  // namespace

void CpuBackend::resize2d_forward(Interpolation mode, const float* x, std::int64_t n,
                                  std::int64_t h, std::int64_t w, std::int64_t c, float* y,
                                  std::int64_t out_h, std::int64_t out_w) {
  run_dnnl(*primitives_, [&] { return resize_what("forward", n, h, w, c, out_h, out_w); }, [&] {
    auto& p = *primitives_;
    ResamplingEntry& e = resampling_entry(p, mode, n, h, w, c, out_h, out_w);
    e.forward.execute(p.stream, {{DNNL_ARG_SRC, memory(e.forward_pd.src_desc(), p.engine, const_cast<float*>(x))},
                                 {DNNL_ARG_DST, memory(e.forward_pd.dst_desc(), p.engine, y)}});
  });
}

void CpuBackend::resize2d_backward(Interpolation mode, const float* dy, std::int64_t n,
                                   std::int64_t h, std::int64_t w, std::int64_t c, float* dx,
                                   std::int64_t out_h, std::int64_t out_w) {
  run_dnnl(*primitives_, [&] { return resize_what("backward", n, h, w, c, out_h, out_w); }, [&] {
    auto& p = *primitives_;
    ResamplingEntry& e = resampling_entry(p, mode, n, h, w, c, out_h, out_w);
    e.backward.execute(p.stream, {{DNNL_ARG_DIFF_DST, memory(e.forward_pd.dst_desc(), p.engine, const_cast<float*>(dy))},
                                  {DNNL_ARG_DIFF_SRC, memory(e.forward_pd.src_desc(), p.engine, dx)}});
  });
}

}  // namespace keras::cpu
