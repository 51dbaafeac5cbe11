// Shape manipulation ops: reshape, concatenate, pad, crop, resize, one-hot.
#include "keras/ops/array.hpp"

#include <algorithm>

#include "keras/internal/deferred_checks.hpp"
#include "keras/internal/op_support.hpp"

namespace keras::ops {

using internal::f32;
using internal::new_output;
using internal::record;
using internal::require_float32;

Tensor reshape(const Tensor& x, const Shape& shape) {
  std::vector<std::int64_t> dims = shape.dims();
  std::int64_t known = 1;
  int inferred = -1;
  for (int i = 0; i < static_cast<int>(dims.size()); ++i) {
    if (dims[i] == -1) {
      if (inferred >= 0) throw ShapeError("reshape: at most one dimension may be -1 in " + to_string(shape));
      inferred = i;
    } else {
      known *= dims[i];
    }
  }
  if (inferred >= 0 && known > 0 && x.size() % known == 0) dims[inferred] = x.size() / known;
  const Shape target(dims);
  if ((inferred >= 0 && (known == 0 || x.size() % known != 0)) ||
      target.num_elements() != x.size()) {
    throw ShapeError("cannot reshape a tensor of shape " + to_string(x.shape()) + " (" +
                     std::to_string(x.size()) + " elements) into shape " + to_string(shape));
  }
  // A view: same storage, new shape.
  auto impl = std::make_shared<internal::TensorImpl>(*x.impl());
  impl->shape = target;
  impl->grad_fn = nullptr;
  impl->requires_grad = false;
  Tensor y(std::move(impl));
  if (is_floating(x.dtype())) {
    record(y, "reshape", {x}, [from = x.shape()](const Tensor& dy) {
      return std::vector<Tensor>{reshape(dy, from)};
    });
  }
  return y;
}

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = x.astype(dtype);
  if (is_floating(x.dtype()) && is_floating(dtype)) {
    record(y, "cast", {x}, [from = x.dtype()](const Tensor& dy) {
      return std::vector<Tensor>{dy.astype(from)};
    });
  }
  return y;
}

Tensor transpose(const Tensor& x, const std::vector<int>& axes) {
  const int rank = x.rank();
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  bool valid = static_cast<int>(axes.size()) == rank;
  for (int a : axes) {
    valid = valid && a >= 0 && a < rank && !seen[static_cast<std::size_t>(a)];
    if (valid) seen[static_cast<std::size_t>(a)] = true;
  }
  if (!valid) {
    std::string text;
    for (int a : axes) text += (text.empty() ? "" : ", ") + std::to_string(a);
    throw ShapeError("transpose: axes (" + text + ") are not a permutation of the " + std::to_string(rank) +
                     " axes of a tensor of shape " + to_string(x.shape()));
  }
  std::vector<std::int64_t> out_dims;
  std::vector<int> inverse(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    out_dims.push_back(x.dim(axes[static_cast<std::size_t>(i)]));
    inverse[static_cast<std::size_t>(axes[static_cast<std::size_t>(i)])] = i;
  }
  Tensor y = Tensor::empty(Shape(out_dims), x.dtype(), &x.backend());
  x.backend().transpose(internal::raw_data(x), internal::raw_data(y), size_of(x.dtype()), x.shape().dims(), axes);
  if (is_floating(x.dtype())) {
    record(y, "transpose", {x}, [inverse](const Tensor& dy) { return std::vector<Tensor>{transpose(dy, inverse)}; });
  }
  return y;
}

Tensor flatten(const Tensor& x) {
  if (x.rank() < 1) throw ShapeError("flatten needs a batch axis, got a scalar");
  return reshape(x, {x.dim(0), x.dim(0) ? x.size() / x.dim(0) : 0});
}

Tensor concatenate(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw ValueError("concatenate needs at least one tensor");
  if (std::any_of(xs.begin(), xs.end(), [](const Tensor& x) { return internal::is_half(x); })) {
    DType result = xs.front().dtype();
    for (const auto& x : xs) result = internal::promoted(result, x.dtype());
    return internal::in_float32("concatenate", xs, result, [axis](const std::vector<Tensor>& w) { return concatenate(w, axis); });
  }
  for (const auto& x : xs) require_float32(x, "concatenate");
  Backend& be = internal::common_backend(xs, "concatenate");
  const Shape& first = xs.front().shape();
  axis = first.normalize_axis(axis);
  Shape out_shape = first;
  out_shape[axis] = 0;
  for (const auto& x : xs) {
    bool fits = x.rank() == first.rank();
    for (int i = 0; fits && i < first.rank(); ++i) {
      fits = i == axis || x.shape().dims()[i] == first.dims()[i];
    }
    if (!fits) {
      throw ShapeError("concatenate on axis " + std::to_string(axis) + ": shapes " +
                       to_string(first) + " and " + to_string(x.shape()) +
                       " differ on another axis");
    }
    out_shape[axis] += x.dim(axis);
  }
  std::int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= first.dims()[i];
  const std::int64_t out_inner = outer ? out_shape.num_elements() / outer : 0;
  Tensor y = new_output(out_shape, be);
  std::vector<std::int64_t> offsets, inners;
  std::int64_t offset = 0;
  for (const auto& x : xs) {
    const std::int64_t inner = outer ? x.size() / outer : 0;
    be.copy_rows(f32(x), inner, 0, f32(y), out_inner, offset, outer, inner, false);
    offsets.push_back(offset);
    inners.push_back(inner);
    offset += inner;
  }
  record(y, "concatenate", xs, [xs, offsets, inners, outer, out_inner](const Tensor& dy) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      Tensor dx = new_output(xs[i].shape(), dy.backend());
      dy.backend().copy_rows(f32(dy), out_inner, offsets[i], f32(dx), inners[i], 0, outer,
                             inners[i], false);
      grads.push_back(dx);
    }
    return grads;
  });
  return y;
}

namespace {
void require_nhwc(const Tensor& x, const char* name) {
  require_float32(x, name);
  if (x.rank() != 4) {
    throw ShapeError(std::string(name) + " expects a 4-D NHWC input, got " + to_string(x.shape()));
  }
}
}  // namespace

Tensor zero_pad2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left,
                  std::int64_t right) {
  if (internal::is_half(x)) {
    return internal::in_float32("zero_pad2d", {x}, x.dtype(),
                                [=](const std::vector<Tensor>& w) { return zero_pad2d(w[0], top, bottom, left, right); });
  }
  require_nhwc(x, "zero_pad2d");
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    throw ValueError("zero_pad2d: padding must be non-negative");
  }
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y = new_output({n, h + top + bottom, w + left + right, c}, x.backend());
  x.backend().pad2d(f32(x), f32(y), n, h, w, c, top, bottom, left, right, 0.0f);
  record(y, "zero_pad2d", {x}, [=](const Tensor& dy) {
    Tensor dx = new_output({n, h, w, c}, dy.backend());
    dy.backend().crop2d(f32(dy), f32(dx), n, h + top + bottom, w + left + right, c, top, bottom,
                        left, right);
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor crop2d(const Tensor& x, std::int64_t top, std::int64_t bottom, std::int64_t left,
              std::int64_t right) {
  if (internal::is_half(x)) {
    return internal::in_float32("crop2d", {x}, x.dtype(),
                                [=](const std::vector<Tensor>& w) { return crop2d(w[0], top, bottom, left, right); });
  }
  require_nhwc(x, "crop2d");
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  if (top < 0 || bottom < 0 || left < 0 || right < 0 || top + bottom >= h ||
      left + right >= w) {
    throw ShapeError("crop2d: cropping (" + std::to_string(top) + ", " + std::to_string(bottom) +
                     "), (" + std::to_string(left) + ", " + std::to_string(right) +
                     ") leaves nothing of an input of shape " + to_string(x.shape()));
  }
  Tensor y = new_output({n, h - top - bottom, w - left - right, c}, x.backend());
  x.backend().crop2d(f32(x), f32(y), n, h, w, c, top, bottom, left, right);
  record(y, "crop2d", {x}, [=](const Tensor& dy) {
    Tensor dx = new_output({n, h, w, c}, dy.backend());
    dy.backend().pad2d(f32(dy), f32(dx), n, h - top - bottom, w - left - right, c, top, bottom,
                       left, right, 0.0f);
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor resize(const Tensor& x, std::int64_t height, std::int64_t width,
              const std::string& interpolation) {
  if (internal::is_half(x)) {
    return internal::in_float32("resize", {x}, x.dtype(),
                                [=](const std::vector<Tensor>& w) { return resize(w[0], height, width, interpolation); });
  }
  require_nhwc(x, "resize");
  Interpolation mode;
  if (interpolation == "bilinear") mode = Interpolation::bilinear;
  else if (interpolation == "nearest") mode = Interpolation::nearest;
  else throw ValueError("resize: interpolation must be \"bilinear\" or \"nearest\", got \"" + interpolation + "\"");
  if (height < 1 || width < 1) {
    throw ValueError("resize: target size " + std::to_string(height) + "x" +
                     std::to_string(width) + " must be positive");
  }
  const std::int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y = new_output({n, height, width, c}, x.backend());
  x.backend().resize2d_forward(mode, f32(x), n, h, w, c, f32(y), height, width);
  record(y, "resize", {x}, [=](const Tensor& dy) {
    Tensor dx = new_output({n, h, w, c}, dy.backend());
    dy.backend().resize2d_backward(mode, f32(dy), n, h, w, c, f32(dx), height, width);
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor take_rows(const Tensor& x, const std::vector<std::int64_t>& rows) {
  if (x.rank() == 0) throw ShapeError("take_rows needs a tensor with a first axis, got a scalar");
  const std::int64_t n = x.dim(0);
  for (std::int64_t r : rows) {
    if (r < 0 || r >= n) {
      throw ShapeError("take_rows: row " + std::to_string(r) + " is outside a first axis of " + std::to_string(n));
    }
  }
  Shape out_shape = x.shape();
  out_shape[0] = static_cast<std::int64_t>(rows.size());
  Tensor y = Tensor::empty(out_shape, x.dtype(), &x.backend());
  const std::size_t row_bytes = n ? static_cast<std::size_t>(x.size() / n) * size_of(x.dtype()) : 0;
  x.backend().gather_rows(internal::raw_data(x), row_bytes, rows.data(), rows.size(), internal::raw_data(y));
  return y;
}

Tensor one_hot(const Tensor& labels, std::int64_t depth) {
  if (labels.dtype() != int32 && labels.dtype() != uint8) {
    throw ValueError("one_hot: labels must be int32 or uint8, got " + to_string(labels.dtype()) +
                     " of shape " + to_string(labels.shape()));
  }
  if (depth < 1) throw ValueError("one_hot: depth must be positive");
  const Tensor ids = labels.astype(int32);
  std::vector<std::int64_t> dims = labels.shape().dims();
  dims.push_back(depth);
  Tensor y = new_output(Shape(dims), labels.backend());
  Tensor invalid = Tensor::empty({}, int32, &labels.backend());
  labels.backend().one_hot(internal::data<std::int32_t>(ids), static_cast<std::size_t>(ids.size()), depth, f32(y),
                           internal::data<std::int32_t>(invalid));
  // The range check reads the kernel's count at the next synchronization; only a failed check
  // reads the labels, to name the first bad one.
  internal::defer_check(invalid, [ids, depth] {
    const std::vector<std::int32_t> host = ids.to_vector<std::int32_t>();
    for (std::size_t i = 0; i < host.size(); ++i) {
      if (host[i] < 0 || host[i] >= depth) {
        return "label " + std::to_string(host[i]) + " at index " + std::to_string(i) + " is outside [0, " +
               std::to_string(depth) + ") for " + std::to_string(depth) + " classes";
      }
    }
    return std::string("one_hot: a label was outside [0, ") + std::to_string(depth) + ")";
  });
  return y;
}

}  // namespace keras::ops
