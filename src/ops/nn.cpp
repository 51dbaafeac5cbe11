// Convolution, pooling, batch normalization and dropout, with their gradients.
#include "keras/ops/nn.hpp"

#include <algorithm>
#include <limits>

#include "keras/internal/capture_recording.hpp"
#include "keras/internal/op_support.hpp"
#include "keras/ops/activation.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras::ops {

using internal::count;
using internal::f32;
using internal::new_output;
using internal::record;
using internal::require_float32;

std::int64_t conv_output_length(std::int64_t input, std::int64_t window, std::int64_t stride,
                                std::int64_t dilation, const std::string& padding) {
  const std::int64_t span = (window - 1) * dilation + 1;
  if (padding == "same") return (input + stride - 1) / stride;
  if (padding == "valid") return input >= span ? (input - span) / stride + 1 : 0;
  throw ValueError("padding must be \"valid\" or \"same\", got \"" + padding + "\"");
}

std::int64_t same_padding_before(std::int64_t input, std::int64_t output, std::int64_t window,
                                 std::int64_t stride, std::int64_t dilation) {
  const std::int64_t span = (window - 1) * dilation + 1;
  const std::int64_t total = std::max<std::int64_t>((output - 1) * stride + span - input, 0);
  return total / 2;
}

Tensor bias_add(const Tensor& x, const Tensor& bias) {
  if (internal::is_half(x) || internal::is_half(bias)) {
    return internal::in_float32("bias_add", {x, bias}, internal::promoted(x.dtype(), bias.dtype()),
                                [](const std::vector<Tensor>& w) { return bias_add(w[0], w[1]); });
  }
  require_float32(x, "bias_add");
  require_float32(bias, "bias_add");
  if (bias.rank() != 1 || x.rank() == 0 || x.dim(-1) != bias.dim(0)) {
    throw ShapeError("bias_add: bias of shape " + to_string(bias.shape()) +
                     " does not match the last axis of " + to_string(x.shape()));
  }
  Backend& be = internal::common_backend({x, bias}, "bias_add");
  const std::int64_t cols = bias.dim(0), rows = cols ? x.size() / cols : 0;
  Tensor y = new_output(x.shape(), be);
  be.bias_add(f32(x), f32(bias), f32(y), rows, cols, FusedActivation::none);
  record(y, "bias_add", {x, bias}, [rows, cols](const Tensor& dy) {
    Tensor db = new_output({cols}, dy.backend());
    dy.backend().reduce_sum(f32(dy), f32(db), 1, rows, cols);
    return std::vector<Tensor>{dy, db};
  });
  return y;
}

namespace {

Conv2DGeometry conv_geometry(const Tensor& x, const Tensor& kernel, const Conv2DOptions& o) {
  if (x.rank() != 4) {
    throw ShapeError("conv2d expects a 4-D NHWC input (batch, height, width, channels), got " +
                     to_string(x.shape()));
  }
  if (kernel.rank() != 4) {
    throw ShapeError("conv2d expects a 4-D kernel (kh, kw, in/groups, out), got " +
                     to_string(kernel.shape()));
  }
  if (o.groups < 1 || x.dim(3) % o.groups != 0 || kernel.dim(3) % o.groups != 0) {
    throw ShapeError("conv2d: groups=" + std::to_string(o.groups) +
                     " must divide the input channels (" + std::to_string(x.dim(3)) +
                     ") and the filters (" + std::to_string(kernel.dim(3)) + ")");
  }
  if (kernel.dim(2) * o.groups != x.dim(3)) {
    throw ShapeError("conv2d: kernel " + to_string(kernel.shape()) + " expects " +
                     std::to_string(kernel.dim(2) * o.groups) +
                     " input channels but the input " + to_string(x.shape()) + " has " +
                     std::to_string(x.dim(3)));
  }
  Conv2DGeometry g;
  g.batch = x.dim(0), g.in_h = x.dim(1), g.in_w = x.dim(2), g.in_c = x.dim(3);
  g.kernel_h = kernel.dim(0), g.kernel_w = kernel.dim(1), g.out_c = kernel.dim(3);
  g.stride_h = o.stride_h, g.stride_w = o.stride_w;
  g.dilation_h = o.dilation_h, g.dilation_w = o.dilation_w, g.groups = o.groups;
  g.dtype = x.dtype();
  g.out_h = conv_output_length(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, o.padding);
  g.out_w = conv_output_length(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, o.padding);
  if (g.out_h <= 0 || g.out_w <= 0) {
    throw ShapeError("conv2d: a " + std::to_string(g.kernel_h) + "x" +
                     std::to_string(g.kernel_w) + " kernel with \"" + o.padding +
                     "\" padding does not fit the input " + to_string(x.shape()) +
                     " (use padding=\"same\" or a larger input)");
  }
  if (o.padding == "same") {
    g.pad_top = same_padding_before(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.dilation_h);
    g.pad_left = same_padding_before(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.dilation_w);
  }
  return g;
}

// The float32 staging of the 16-bit paths below, in elements a buffer (256 KiB): small enough
// that a few buffers are nothing beside the activations, large enough to keep kernels efficient.
constexpr std::int64_t kHalfSlabElements = std::int64_t{1} << 16;

// Rows [first, first + n) of a 16-bit tensor widened into float32 memory, and back.
void widen_slice(Backend& be, const Tensor& t, std::int64_t first, std::int64_t n, const Tensor& to32) {
  const Tensor part = t.slice(first, first + n);
  be.cast(internal::raw_data(part), t.dtype(), internal::raw_data(to32), float32, static_cast<std::size_t>(part.size()));
}
void narrow_slice(Backend& be, const Tensor& from32, const Tensor& t, std::int64_t first, std::int64_t n) {
  const Tensor part = t.slice(first, first + n);
  be.cast(internal::raw_data(from32), float32, internal::raw_data(part), t.dtype(), static_cast<std::size_t>(part.size()));
}

// A 16-bit convolution's backward epilogue: dy * relu'(out) when the relu was fused (out > 0),
// and the bias gradient, both computed in float32 a slab of rows at a time, so the pass holds
// float32 copies of one slab rather than of whole activations; each result is rounded once.
struct HalfEpilogue {
  Tensor dy;  // masked by relu', in the storage type
  Tensor db;  // undefined without a bias
};
HalfEpilogue half_conv_epilogue(const Tensor& out, const Tensor& dy, bool relu, bool bias) {
  if (!relu && !bias) return {dy, Tensor()};
  Backend& be = dy.backend();
  const std::int64_t channels = out.dim(3), rows = count(out) / std::max<std::int64_t>(channels, 1);
  const std::int64_t slab_rows = std::clamp<std::int64_t>(kHalfSlabElements / std::max<std::int64_t>(channels, 1), 1, std::max<std::int64_t>(rows, 1));
  const std::int64_t slabs = (rows + slab_rows - 1) / slab_rows;
  const Tensor out_rows = out.reshape({rows, channels}), dy_rows = dy.reshape({rows, channels});
  HalfEpilogue r{relu ? Tensor::empty(dy.shape(), dy.dtype(), &be) : dy, Tensor()};
  const Tensor masked_rows = r.dy.reshape({rows, channels});
  const Tensor dy32 = new_output({slab_rows, channels}, be), out32 = relu ? new_output({slab_rows, channels}, be) : Tensor();
  const Tensor masked32 = relu ? new_output({slab_rows, channels}, be) : dy32;
  const Tensor partial = bias ? new_output({slabs, channels}, be) : Tensor();
  const UnaryParams relu_params{0.0f, 0.0f, std::numeric_limits<float>::infinity()};
  for (std::int64_t k = 0; k < slabs; ++k) {
    const std::int64_t first = k * slab_rows, n = std::min(slab_rows, rows - first);
    widen_slice(be, dy_rows, first, n, dy32);
    if (relu) {
      widen_slice(be, out_rows, first, n, out32);
      be.unary_backward(UnaryOp::relu, relu_params, f32(out32), f32(out32), f32(dy32), f32(masked32),
                        static_cast<std::size_t>(n * channels));
      narrow_slice(be, masked32, masked_rows, first, n);
    }
    if (bias) be.reduce_sum(f32(masked32), f32(partial.slice(k, k + 1)), 1, n, channels);
  }
  if (bias) {
    const Tensor db32 = new_output({channels}, be);
    be.reduce_sum(f32(partial), f32(db32), 1, slabs, channels);
    r.db = db32.astype(dy.dtype());
  }
  return r;
}

Tensor conv_impl(const Tensor& x_in, const Tensor& kernel_in, const Tensor& bias_in,
                 FusedActivation act, const Conv2DOptions& o) {
  if (!x_in.defined() || !kernel_in.defined()) throw ValueError("conv2d: an operand is an undefined Tensor");
  DType dtype = internal::promoted(x_in.dtype(), kernel_in.dtype());
  if (bias_in.defined()) dtype = internal::promoted(dtype, bias_in.dtype());
  const Tensor x = ops::cast(x_in, dtype), kernel = ops::cast(kernel_in, dtype);
  const Tensor bias = bias_in.defined() ? ops::cast(bias_in, dtype) : bias_in;
  if (!internal::is_half(dtype)) {
    require_float32(x, "conv2d");
    require_float32(kernel, "conv2d");
  }
  std::vector<Tensor> operands{x, kernel};
  if (bias.defined()) {
    if (bias.rank() != 1 || bias.dim(0) != kernel.dim(3)) {
      throw ShapeError("conv2d: bias of shape " + to_string(bias.shape()) + " for " +
                       std::to_string(kernel.dim(3)) + " filters");
    }
    operands.push_back(bias);
  }
  Backend& be = internal::common_backend(operands, "conv2d");
  const Conv2DGeometry g = conv_geometry(x, kernel, o);
  using internal::raw_data;
  Tensor y = Tensor::empty({g.batch, g.out_h, g.out_w, g.out_c}, dtype, &be);
  be.conv2d_forward(g, raw_data(x), raw_data(kernel), bias.defined() ? raw_data(bias) : nullptr, act,
                    raw_data(y));
  record(y, "conv2d", {x, kernel, bias},
         [g, x, kernel, has_bias = bias.defined(), act, out = y.detach()](const Tensor& dy_in) {
           Backend& be = dy_in.backend();
           Tensor dy = dy_in.astype(g.dtype), db;
           if (internal::is_half(g.dtype)) {
             HalfEpilogue e = half_conv_epilogue(out, dy, act == FusedActivation::relu, has_bias);
             dy = std::move(e.dy);
             db = std::move(e.db);
           } else {
             if (act == FusedActivation::relu) {  // relu'(pre) = [out > 0]
               Tensor masked = new_output(out.shape(), be);
               be.unary_backward(UnaryOp::relu, {0.0f, 0.0f, std::numeric_limits<float>::infinity()}, f32(out),
                                 f32(out), f32(dy), f32(masked), count(out));
               dy = std::move(masked);
             }
             if (has_bias) {
               db = new_output({g.out_c}, be);
               be.reduce_sum(f32(dy), f32(db), 1, g.batch * g.out_h * g.out_w, g.out_c);
             }
           }
           Tensor dx = Tensor::empty(x.shape(), g.dtype, &be), dw = Tensor::empty(kernel.shape(), g.dtype, &be);
           be.conv2d_backward_data(g, raw_data(dy), raw_data(kernel), raw_data(dx));
           be.conv2d_backward_filter(g, raw_data(x), raw_data(dy), raw_data(dw));
           return std::vector<Tensor>{dx, dw, db};
         });
  return y;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Conv2DOptions& options) {
  return conv_impl(x, kernel, Tensor(), FusedActivation::none, options);
}

Tensor conv2d_bias_activation(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                              const std::string& activation, const Conv2DOptions& options) {
  const std::string act = canonical_activation(activation);
  if (act == "relu") return conv_impl(x, kernel, bias, FusedActivation::relu, options);
  Tensor y = conv_impl(x, kernel, bias, FusedActivation::none, options);
  return act == "linear" ? y : get_activation(act)(y);
}

namespace {
Pool2DGeometry pool_geometry(const char* name, const Tensor& x, const Pool2DOptions& o) {
  if (x.rank() != 4) {
    throw ShapeError(std::string(name) + " expects a 4-D NHWC input, got " + to_string(x.shape()));
  }
  if (o.pool_h < 1 || o.pool_w < 1 || o.stride_h < 1 || o.stride_w < 1) {
    throw ValueError(std::string(name) + ": pool sizes and strides must be positive");
  }
  Pool2DGeometry g;
  g.batch = x.dim(0), g.in_h = x.dim(1), g.in_w = x.dim(2), g.channels = x.dim(3);
  g.pool_h = o.pool_h, g.pool_w = o.pool_w, g.stride_h = o.stride_h, g.stride_w = o.stride_w;
  g.out_h = conv_output_length(g.in_h, g.pool_h, g.stride_h, 1, o.padding);
  g.out_w = conv_output_length(g.in_w, g.pool_w, g.stride_w, 1, o.padding);
  if (g.out_h <= 0 || g.out_w <= 0) {
    throw ShapeError(std::string(name) + ": a " + std::to_string(g.pool_h) + "x" +
                     std::to_string(g.pool_w) + " window does not fit the input " +
                     to_string(x.shape()) + " with \"" + o.padding + "\" padding");
  }
  if (o.padding == "same") {
    g.pad_top = same_padding_before(g.in_h, g.out_h, g.pool_h, g.stride_h, 1);
    g.pad_left = same_padding_before(g.in_w, g.out_w, g.pool_w, g.stride_w, 1);
  }
  return g;
}

// 16-bit pooling: the float32 kernels run on widened slabs of whole images (pooling is per
// image), so neither pass holds float32 copies of the whole activation; results are rounded once.
struct PoolSlabs {
  std::int64_t images = 1, count = 0;
  Pool2DGeometry g;  // the geometry of a full slab
};
PoolSlabs pool_slabs(const Pool2DGeometry& g) {
  const std::int64_t per_image = std::max<std::int64_t>(g.in_h * g.in_w * g.channels, 1);
  PoolSlabs s;
  s.images = std::clamp<std::int64_t>(kHalfSlabElements / per_image, 1, std::max<std::int64_t>(g.batch, 1));
  s.count = (g.batch + s.images - 1) / s.images;
  s.g = g;
  s.g.batch = s.images;
  return s;
}

Tensor half_pool(PoolMode mode, const char* name, const Tensor& x, const Pool2DGeometry& g) {
  Backend& be = x.backend();
  const PoolSlabs s = pool_slabs(g);
  Tensor y = Tensor::empty({g.batch, g.out_h, g.out_w, g.channels}, x.dtype(), &be);
  {
    const Tensor x32 = new_output({s.images, g.in_h, g.in_w, g.channels}, be);
    const Tensor y32 = new_output({s.images, g.out_h, g.out_w, g.channels}, be);
    for (std::int64_t k = 0; k < s.count; ++k) {
      const std::int64_t first = k * s.images, n = std::min(s.images, g.batch - first);
      Pool2DGeometry part = s.g;
      part.batch = n;
      widen_slice(be, x, first, n, x32);
      be.pool2d_forward(mode, part, f32(x32), f32(y32));
      narrow_slice(be, y32, y, first, n);
    }
  }
  record(y, name, {x}, [mode, g, x, out = y.detach()](const Tensor& dy_in) {
    Backend& be = x.backend();
    const PoolSlabs s = pool_slabs(g);
    const Tensor dy = dy_in.astype(x.dtype());
    Tensor dx = Tensor::empty(x.shape(), x.dtype(), &be);
    const Tensor x32 = new_output({s.images, g.in_h, g.in_w, g.channels}, be), dx32 = new_output(x32.shape(), be);
    const Tensor y32 = new_output({s.images, g.out_h, g.out_w, g.channels}, be), dy32 = new_output(y32.shape(), be);
    for (std::int64_t k = 0; k < s.count; ++k) {
      const std::int64_t first = k * s.images, n = std::min(s.images, g.batch - first);
      Pool2DGeometry part = s.g;
      part.batch = n;
      widen_slice(be, x, first, n, x32);
      widen_slice(be, out, first, n, y32);
      widen_slice(be, dy, first, n, dy32);
      be.pool2d_backward(mode, part, f32(x32), f32(y32), f32(dy32), f32(dx32));
      narrow_slice(be, dx32, dx, first, n);
    }
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor pool_impl(PoolMode mode, const Tensor& x, const Pool2DOptions& o) {
  const char* name = mode == PoolMode::max ? "max_pool2d" : "average_pool2d";
  if (!x.defined()) throw ValueError(std::string(name) + ": an operand is an undefined Tensor");
  if (internal::is_half(x)) return half_pool(mode, name, x, pool_geometry(name, x, o));
  require_float32(x, name);
  const Pool2DGeometry g = pool_geometry(name, x, o);
  Tensor y = new_output({g.batch, g.out_h, g.out_w, g.channels}, x.backend());
  x.backend().pool2d_forward(mode, g, f32(x), f32(y));
  record(y, name, {x}, [mode, g, x, out = y.detach()](const Tensor& dy) {
    Tensor dx = new_output(x.shape(), x.backend());
    x.backend().pool2d_backward(mode, g, f32(x), f32(out), f32(dy), f32(dx));
    return std::vector<Tensor>{dx};
  });
  return y;
}

void require_nhwc(const Tensor& x, const char* name) {
  if (x.rank() != 4) {
    throw ShapeError(std::string(name) + " expects a 4-D NHWC input, got " + to_string(x.shape()));
  }
}
}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& o) { return pool_impl(PoolMode::max, x, o); }
Tensor average_pool2d(const Tensor& x, const Pool2DOptions& o) {
  return pool_impl(PoolMode::average, x, o);
}

Tensor global_average_pool2d(const Tensor& x, bool keepdims) {
  require_nhwc(x, "global_average_pool2d");
  return mean(x, {1, 2}, keepdims);
}

Tensor global_max_pool2d(const Tensor& x, bool keepdims) {
  require_nhwc(x, "global_max_pool2d");
  Tensor y = max(reshape(x, {x.dim(0), x.dim(1) * x.dim(2), x.dim(3)}), 1);
  return keepdims ? reshape(y, {x.dim(0), 1, 1, x.dim(3)}) : y;
}

namespace {
void check_bn_params(const Tensor& x, const std::vector<Tensor>& params) {
  require_float32(x, "batch_normalization");
  if (x.rank() == 0) throw ShapeError("batch_normalization needs at least one axis");
  for (const auto& p : params) {
    if (!p.defined()) continue;
    require_float32(p, "batch_normalization");
    if (p.rank() != 1 || p.dim(0) != x.dim(-1)) {
      throw ShapeError("batch_normalization: parameter of shape " + to_string(p.shape()) +
                       " does not match the channel axis of input " + to_string(x.shape()));
    }
  }
}
const float* optional_data(const Tensor& t) { return t.defined() ? f32(t) : nullptr; }
}  // namespace

BatchNormResult batch_normalization_training(const Tensor& x, const Tensor& gamma,
                                             const Tensor& beta, float epsilon) {
  if (internal::is_half(x) || internal::is_half(gamma) || internal::is_half(beta)) {
    // Normalization overflows easily in 16 bits: float32 inside, the input's type out (Keras).
    BatchNormResult r;
    {
      NoGradGuard no_grad;  // y and the statistics in float32; y's gradient is recorded below
      r = batch_normalization_training(x.astype(float32), gamma.defined() ? gamma.astype(float32) : gamma,
                                       beta.defined() ? beta.astype(float32) : beta, epsilon);
    }
    r.y = r.y.astype(x.dtype());
    internal::record_in_float32(r.y, "batch_normalization", {x, gamma, beta}, [epsilon](const std::vector<Tensor>& w) {
      return batch_normalization_training(w[0], w[1], w[2], epsilon).y;
    });
    return r;
  }
  check_bn_params(x, {gamma, beta});
  Backend& be = x.backend();
  const std::int64_t channels = x.dim(-1), rows = channels ? x.size() / channels : 0;
  if (rows == 0) throw ShapeError("batch_normalization: empty batch " + to_string(x.shape()));
  BatchNormResult r{new_output(x.shape(), be), new_output({channels}, be),
                    new_output({channels}, be)};
  be.batch_norm_training(f32(x), optional_data(gamma), optional_data(beta), rows, channels,
                         epsilon, f32(r.y), f32(r.batch_mean), f32(r.batch_variance));
  record(r.y, "batch_normalization", {x, gamma, beta},
         [x, gamma, beta, mean = r.batch_mean, var = r.batch_variance, rows, channels,
          epsilon](const Tensor& dy) {
           Backend& be = dy.backend();
           Tensor dx = new_output(x.shape(), be), dgamma = new_output({channels}, be),
                  dbeta = new_output({channels}, be);
           be.batch_norm_backward(f32(dy), f32(x), optional_data(gamma), f32(mean), f32(var),
                                  rows, channels, epsilon, f32(dx), f32(dgamma), f32(dbeta));
           return std::vector<Tensor>{dx, gamma.defined() ? dgamma : Tensor(),
                                      beta.defined() ? dbeta : Tensor()};
         });
  return r;
}

Tensor batch_normalization_inference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                     const Tensor& moving_mean, const Tensor& moving_variance,
                                     float epsilon) {
  if (internal::is_half(x) || internal::is_half(gamma) || internal::is_half(beta) ||
      internal::is_half(moving_mean) || internal::is_half(moving_variance)) {
    return internal::in_float32("batch_normalization", {x, gamma, beta, moving_mean, moving_variance}, x.dtype(),
                                [epsilon](const std::vector<Tensor>& w) {
                                  return batch_normalization_inference(w[0], w[1], w[2], w[3], w[4], epsilon);
                                });
  }
  check_bn_params(x, {gamma, beta, moving_mean, moving_variance});
  Backend& be = x.backend();
  const std::int64_t channels = x.dim(-1), rows = channels ? x.size() / channels : 0;
  Tensor y = new_output(x.shape(), be);
  be.batch_norm_inference(f32(x), optional_data(gamma), optional_data(beta), f32(moving_mean),
                          f32(moving_variance), rows, channels, epsilon, f32(y));
  // The statistics are constants here, so y is affine in x, gamma and beta (fine-tuning with
  // frozen statistics); the moving statistics themselves get no gradient.
  record(y, "batch_normalization", {x, gamma, beta},
         [x, gamma, beta, moving_mean, moving_variance, epsilon](const Tensor& dy) {
           const Tensor inv_std = reciprocal(sqrt(moving_variance + epsilon));
           const Tensor scale = gamma.defined() ? multiply(gamma, inv_std) : inv_std;
           const Shape channels{x.dim(-1)};
           Tensor dgamma, dbeta;
           if (gamma.defined()) {
             dgamma = sum_to_shape(multiply(dy, multiply(subtract(x, moving_mean), inv_std)),
                                   channels);
           }
           if (beta.defined()) dbeta = sum_to_shape(dy, channels);
           return std::vector<Tensor>{multiply(dy, scale), dgamma, dbeta};
         });
  return y;
}

Tensor dropout(const Tensor& x, float rate, std::uint64_t seed, std::optional<Shape> noise_shape) {
  if (!internal::is_half(x)) require_float32(x, "dropout");
  if (!(rate >= 0.0f && rate < 1.0f)) {
    throw ValueError("dropout rate must be in [0, 1), got " + std::to_string(rate));
  }
  if (rate == 0.0f) return x;
  const Shape mask_shape = noise_shape.value_or(x.shape());
  Tensor mask = new_output(mask_shape, x.backend());
  if (const std::uint64_t* slot = internal::recorded_seed_slot(seed, x.backend())) {  // a captured step draws anew
    x.backend().dropout_mask_at(f32(mask), count(mask), slot, rate);
  } else {
    x.backend().dropout_mask(f32(mask), count(mask), seed, rate);
  }
  return multiply(x, mask.astype(x.dtype()));  // a 16-bit input keeps its type
}

}  // namespace keras::ops
