// Arithmetic, reductions and matmul, with their gradients.
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

#include <algorithm>
#include <numeric>

#include "keras/internal/op_support.hpp"

namespace keras::ops {

using internal::count;
using internal::f32;
using internal::new_output;
using internal::record;
using internal::raw_data;
using internal::require_float32;

namespace {

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  const int rank = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> out(rank);
  for (int i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.rank() ? 1 : a.dims()[i - (rank - a.rank())];
    const std::int64_t db = i < rank - b.rank() ? 1 : b.dims()[i - (rank - b.rank())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(std::string(op) + ": shapes " + to_string(a) + " and " + to_string(b) +
                       " cannot be broadcast together (axis " + std::to_string(i) + ": " +
                       std::to_string(da) + " vs " + std::to_string(db) + ")");
    }
    out[i] = std::max(da, db);
  }
  return Shape(std::move(out));
}

// Strides of `s` aligned to `out`, zero where `s` is broadcast.
std::vector<std::int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  const int rank = out.rank(), offset = out.rank() - s.rank();
  std::vector<std::int64_t> strides(rank, 0);
  std::int64_t stride = 1;
  for (int i = s.rank() - 1; i >= 0; --i) {
    strides[i + offset] = s.dims()[i] == 1 ? 0 : stride;
    stride *= s.dims()[i];
  }
  return strides;
}

BroadcastSpec make_spec(const Shape& a, const Shape& b, const Shape& out) {
  return {out.dims(), broadcast_strides(a, out), broadcast_strides(b, out)};
}

// The broadcast kernel alone: what comparisons are (no gradient), and binary_op's forward.
Tensor broadcast_binary(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  if (internal::is_half(a) || internal::is_half(b)) {
    const Tensor y = broadcast_binary(op, name, internal::widened(a), internal::widened(b));
    // Comparisons give float32 flags whatever their operands are.
    const bool comparison = op == BinaryOp::greater || op == BinaryOp::equal;
    return comparison ? y : y.astype(internal::promoted(a.dtype(), b.dtype()));
  }
  require_float32(a, name);
  require_float32(b, name);
  Backend& be = internal::common_backend({a, b}, name);
  const Shape out_shape = broadcast_shape(a.shape(), b.shape(), name);
  Tensor y = new_output(out_shape, be);
  be.binary(op, f32(a), f32(b), f32(y), make_spec(a.shape(), b.shape(), out_shape));
  return y;
}

Tensor binary_op(BinaryOp op, const char* name, const Tensor& a, const Tensor& b) {
  if (internal::is_half(a) || internal::is_half(b)) {
    return internal::in_float32(name, {a, b}, internal::promoted(a.dtype(), b.dtype()),
                                [op, name](const std::vector<Tensor>& w) { return binary_op(op, name, w[0], w[1]); });
  }
  Tensor y = broadcast_binary(op, name, a, b);
  // Closures capture a detached view of their output: the output owns the closure.
  record(y, name, {a, b}, [op, a, b, out = y.detach()](const Tensor& dy) -> std::vector<Tensor> {
    switch (op) {
      case BinaryOp::add:
        return {sum_to_shape(dy, a.shape()), sum_to_shape(dy, b.shape())};
      case BinaryOp::subtract:
        return {sum_to_shape(dy, a.shape()), sum_to_shape(negative(dy), b.shape())};
      case BinaryOp::multiply:
        return {sum_to_shape(multiply(dy, b), a.shape()), sum_to_shape(multiply(dy, a), b.shape())};
      case BinaryOp::divide:
        return {sum_to_shape(divide(dy, b), a.shape()),
                sum_to_shape(negative(multiply(dy, divide(out, b))), b.shape())};
      case BinaryOp::maximum:
      case BinaryOp::minimum: {
        Tensor mask = new_output(dy.shape(), dy.backend());
        dy.backend().select_mask(op, f32(a), f32(b), f32(mask),
                                 make_spec(a.shape(), b.shape(), dy.shape()));
        Tensor ga = multiply(dy, mask);
        return {sum_to_shape(ga, a.shape()), sum_to_shape(subtract(dy, ga), b.shape())};
      }
      case BinaryOp::greater:
      case BinaryOp::equal:
        break;  // comparisons are not recorded (see greater / equal)
    }
    return {};
  });
  return y;
}

// Views x as (outer, mid, inner) around the contiguous axes [first, last].
struct Span3 {
  std::int64_t outer = 1, mid = 1, inner = 1;
};
Span3 span_of(const Shape& s, int first, int last) {
  Span3 v;
  for (int i = 0; i < s.rank(); ++i) {
    (i < first ? v.outer : i <= last ? v.mid : v.inner) *= s.dims()[i];
  }
  return v;
}

// Sums over one axis, keeping it with size 1; differentiable.
Tensor sum_axis_keepdims(const Tensor& x, int axis) {
  const Span3 v = span_of(x.shape(), axis, axis);
  Shape out_shape = x.shape();
  out_shape[axis] = 1;
  Tensor y = new_output(out_shape, x.backend());
  x.backend().reduce_sum(f32(x), f32(y), v.outer, v.mid, v.inner);
  record(y, "sum", {x}, [x, v](const Tensor& dy) -> std::vector<Tensor> {
    Tensor dx = new_output(x.shape(), x.backend());
    x.backend().expand_mid(f32(dy), f32(dx), v.outer, v.mid, v.inner, 1.0f);
    return {dx};
  });
  return y;
}

std::vector<int> normalized_axes(const Shape& s, std::vector<int> axes) {
  if (axes.empty()) {
    axes.resize(s.rank());
    std::iota(axes.begin(), axes.end(), 0);
  }
  for (int& a : axes) a = s.normalize_axis(a);
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

Shape reduced_shape(const Shape& s, const std::vector<int>& axes, bool keepdims) {
  std::vector<std::int64_t> dims;
  for (int i = 0; i < s.rank(); ++i) {
    const bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) dims.push_back(s.dims()[i]);
    else if (keepdims) dims.push_back(1);
  }
  return Shape(std::move(dims));
}

}  // namespace
}  // namespace keras::ops

namespace keras::internal {
Tensor unary_op(UnaryOp op, UnaryParams p, const char* name, const Tensor& x) {
  if (is_half(x)) {
    return in_float32(name, {x}, x.dtype(), [op, p, name](const std::vector<Tensor>& w) { return unary_op(op, p, name, w[0]); });
  }
  require_float32(x, name);
  Tensor y = new_output(x.shape(), x.backend());
  x.backend().unary(op, p, f32(x), f32(y), count(x));
  record(y, name, {x}, [op, p, x, out = y.detach()](const Tensor& dy) -> std::vector<Tensor> {
    Tensor dx = new_output(x.shape(), x.backend());
    x.backend().unary_backward(op, p, f32(x), f32(out), f32(dy), f32(dx), count(x));
    return {dx};
  });
  return y;
}

}  // namespace keras::internal

namespace keras::ops {
using internal::unary_op;

Tensor add(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::add, "add", a, b); }

// Comparisons are values, not differentiable: no tape entry.
Tensor greater(const Tensor& a, const Tensor& b) { return broadcast_binary(BinaryOp::greater, "greater", a, b); }
Tensor equal(const Tensor& a, const Tensor& b) { return broadcast_binary(BinaryOp::equal, "equal", a, b); }
Tensor subtract(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::subtract, "subtract", a, b);
}
Tensor multiply(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::multiply, "multiply", a, b);
}
Tensor divide(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::divide, "divide", a, b);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::maximum, "maximum", a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::minimum, "minimum", a, b);
}

Tensor affine(const Tensor& x, float scale, float shift) {
  if (internal::is_half(x)) {
    return internal::in_float32("affine", {x}, x.dtype(),
                                [scale, shift](const std::vector<Tensor>& w) { return affine(w[0], scale, shift); });
  }
  require_float32(x, "affine");
  Tensor y = new_output(x.shape(), x.backend());
  x.backend().affine(f32(x), f32(y), count(x), scale, shift);
  record(y, "affine", {x}, [scale](const Tensor& dy) -> std::vector<Tensor> {
    return {affine(dy, scale, 0.0f)};
  });
  return y;
}

Tensor negative(const Tensor& x) { return unary_op(UnaryOp::neg, {}, "negative", x); }
Tensor exp(const Tensor& x) { return unary_op(UnaryOp::exp, {}, "exp", x); }
Tensor log(const Tensor& x) { return unary_op(UnaryOp::log, {}, "log", x); }
Tensor sqrt(const Tensor& x) { return unary_op(UnaryOp::sqrt, {}, "sqrt", x); }
Tensor square(const Tensor& x) { return unary_op(UnaryOp::square, {}, "square", x); }
Tensor abs(const Tensor& x) { return unary_op(UnaryOp::abs, {}, "abs", x); }
Tensor reciprocal(const Tensor& x) { return unary_op(UnaryOp::reciprocal, {}, "reciprocal", x); }
Tensor clip(const Tensor& x, float low, float high) {
  if (low > high) {
    throw ValueError("clip: low (" + std::to_string(low) + ") is above high (" +
                     std::to_string(high) + ")");
  }
  return unary_op(UnaryOp::clip, {low, high, 0.0f}, "clip", x);
}

Tensor sum(const Tensor& x, std::vector<int> axes, bool keepdims) {
  if (internal::is_half(x)) {
    return internal::in_float32("sum", {x}, x.dtype(), [axes, keepdims](const std::vector<Tensor>& w) { return sum(w[0], axes, keepdims); });
  }
  require_float32(x, "sum");
  const std::vector<int> ax = normalized_axes(x.shape(), std::move(axes));
  Tensor y = x;
  for (int a : ax) y = sum_axis_keepdims(y, a);
  return reshape(y, reduced_shape(x.shape(), ax, keepdims));
}

Tensor mean(const Tensor& x, std::vector<int> axes, bool keepdims) {
  const std::vector<int> ax = normalized_axes(x.shape(), std::move(axes));
  std::int64_t n = 1;
  for (int a : ax) n *= x.shape().dims()[a];
  if (n == 0) throw ShapeError("mean over an empty axis of shape " + to_string(x.shape()));
  return affine(sum(x, ax, keepdims), 1.0f / static_cast<float>(n), 0.0f);
}

Tensor max(const Tensor& x) {
  if (x.size() == 0) throw ShapeError("max of an empty tensor of shape " + to_string(x.shape()) + " has no value");
  return max(reshape(x, {x.size()}), 0);
}

Tensor max(const Tensor& x, int axis, bool keepdims) {
  if (internal::is_half(x)) {
    return internal::in_float32("max", {x}, x.dtype(), [axis, keepdims](const std::vector<Tensor>& w) { return max(w[0], axis, keepdims); });
  }
  require_float32(x, "max");
  axis = x.shape().normalize_axis(axis);
  const Span3 v = span_of(x.shape(), axis, axis);
  if (v.mid == 0) throw ShapeError("max over an empty axis of shape " + to_string(x.shape()));
  Tensor y = new_output(reduced_shape(x.shape(), {axis}, keepdims), x.backend());
  Tensor argmax = Tensor::empty(y.shape(), int32, &x.backend());
  x.backend().reduce_max(f32(x), f32(y), internal::data<std::int32_t>(argmax), v.outer, v.mid, v.inner);
  record(y, "max", {x}, [x, v, argmax](const Tensor& dy) -> std::vector<Tensor> {
    Tensor dx = new_output(x.shape(), x.backend());
    x.backend().scatter_argmax(f32(dy), internal::data<std::int32_t>(argmax), f32(dx), v.outer, v.mid,
                               v.inner);
    return {dx};
  });
  return y;
}

Tensor argmax(const Tensor& x, int axis) {
  if (internal::is_half(x)) return argmax(x.astype(float32), axis);
  require_float32(x, "argmax");
  axis = x.shape().normalize_axis(axis);
  const Span3 v = span_of(x.shape(), axis, axis);
  if (v.mid == 0) throw ShapeError("argmax over an empty axis of shape " + to_string(x.shape()));
  Tensor values = new_output(reduced_shape(x.shape(), {axis}, false), x.backend());
  Tensor index = Tensor::empty(values.shape(), int32, &x.backend());
  x.backend().reduce_max(f32(x), f32(values), internal::data<std::int32_t>(index), v.outer, v.mid, v.inner);
  return index;
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  if (!a_in.defined() || !b_in.defined()) throw ValueError("matmul: an operand is an undefined Tensor");
  // Operands of two types multiply in float32; two 16-bit operands of one type natively.
  const DType dtype = internal::promoted(a_in.dtype(), b_in.dtype());
  const Tensor a = cast(a_in, dtype), b = cast(b_in, dtype);
  if (!internal::is_half(dtype)) {
    require_float32(a, "matmul");
    require_float32(b, "matmul");
  }
  if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
    throw ShapeError("matmul: cannot multiply shapes " + to_string(a.shape()) + " and " +
                     to_string(b.shape()) + " (need (m, k) @ (k, n))");
  }
  Backend& be = internal::common_backend({a, b}, "matmul");
  const std::int64_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  Tensor y = Tensor::empty({m, n}, dtype, &be);
  be.gemm(false, false, m, n, k, 1.0f, raw_data(a), raw_data(b), 0.0f, raw_data(y), dtype);
  record(y, "matmul", {a, b}, [a, b, m, n, k, dtype](const Tensor& dy_in) -> std::vector<Tensor> {
    Backend& be = dy_in.backend();
    const Tensor dy = dy_in.astype(dtype);
    Tensor da = Tensor::empty(a.shape(), dtype, &be), db = Tensor::empty(b.shape(), dtype, &be);
    be.gemm(false, true, m, k, n, 1.0f, raw_data(dy), raw_data(b), 0.0f, raw_data(da), dtype);  // dy @ b^T
    be.gemm(true, false, k, n, m, 1.0f, raw_data(a), raw_data(dy), 0.0f, raw_data(db), dtype);  // a^T @ dy
    return {da, db};
  });
  return y;
}

Tensor sum_to_shape(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int lead = x.rank() - shape.rank();
  std::vector<int> axes;
  for (int i = 0; i < x.rank(); ++i) {
    if (i < lead || (shape.dims()[i - lead] == 1 && x.shape().dims()[i] != 1)) axes.push_back(i);
  }
  return reshape(sum(x, axes, true), shape);
}

}  // namespace keras::ops
