#include "keras/core/tensor.hpp"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <type_traits>

#include "keras/core/autograd.hpp"
#include "keras/internal/deferred_checks.hpp"
#include "keras/internal/op_support.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras {
using internal::raw_data;

namespace internal {
Storage::Storage(Backend& b, std::size_t n) : backend(&b), bytes(n) {
  data = n ? backend->allocate(n) : nullptr;
  backend->note_tensor_allocated(n);
}
Storage::~Storage() {
  if (data) backend->deallocate(data);
  backend->note_tensor_freed(bytes);
}
}  // namespace internal

namespace {
Backend& pick(Backend* backend) { return backend ? *backend : backend::get(); }

void check_shape(const Shape& shape) {
  for (auto d : shape) {
    if (d < 0) {
      throw ShapeError("cannot create a tensor of shape " + to_string(shape) +
                       ": every dimension must be known and non-negative");
    }
  }
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Backend* backend) {
  check_shape(shape);
  auto impl = std::make_shared<internal::TensorImpl>();
  Backend& b = pick(backend);
  impl->storage = std::make_shared<internal::Storage>(
      b, static_cast<std::size_t>(shape.num_elements()) * size_of(dtype));
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::full(const Shape& shape, float value, DType dtype, Backend* backend) {
  Tensor f32 = empty(shape, float32, backend);
  f32.backend().fill(internal::data<float>(f32), static_cast<std::size_t>(f32.size()), value);
  return dtype == float32 ? f32 : f32.astype(dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Backend* backend) {
  return full(shape, 0.0f, dtype, backend);
}
Tensor Tensor::ones(const Shape& shape, DType dtype, Backend* backend) {
  return full(shape, 1.0f, dtype, backend);
}
Tensor Tensor::scalar(float value, Backend* backend) { return full(Shape{}, value, float32, backend); }

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, Backend* backend) {
  check_shape(shape);
  if (static_cast<std::int64_t>(values.size()) != shape.num_elements()) {
    throw ShapeError("from_vector: " + std::to_string(values.size()) +
                     " values cannot fill shape " + to_string(shape) + " (" +
                     std::to_string(shape.num_elements()) + " elements)");
  }
  Tensor t = empty(shape, dtype_of<T>(), backend);
  t.backend().copy_from_host(internal::raw_data(t), values.data(), values.size() * sizeof(T));
  return t;
}

const Shape& Tensor::shape() const {
  if (!impl_) throw ValueError("use of an undefined Tensor");
  return impl_->shape;
}
std::int64_t Tensor::size() const { return shape().num_elements(); }
DType Tensor::dtype() const {
  if (!impl_) throw ValueError("use of an undefined Tensor");
  return impl_->dtype;
}
Backend& Tensor::backend() const {
  if (!impl_) throw ValueError("use of an undefined Tensor");
  return *impl_->storage->backend;
}
Device Tensor::device() const { return backend().device(); }

void* internal::raw_data(const Tensor& t) {
  if (!t.defined()) throw ValueError("use of an undefined Tensor");
  const auto& impl = *t.impl();
  return static_cast<char*>(impl.storage->data) + impl.offset * size_of(impl.dtype);
}

void Tensor::check_dtype(DType expected, const char* what) const {
  if (dtype() != expected) {
    throw ValueError(std::string(what) + ": tensor of shape " + to_string(shape()) + " is " +
                     to_string(dtype()) + ", expected " + to_string(expected) +
                     " (convert with astype(" + to_string(expected) + "))");
  }
}

template <class T>
T* internal::data(const Tensor& t) {
  if (t.dtype() != dtype_of<T>()) {
    throw ValueError("data<T>(): tensor of shape " + to_string(t.shape()) + " is " + to_string(t.dtype()) +
                     ", expected " + to_string(dtype_of<T>()));
  }
  return static_cast<T*>(raw_data(t));
}

Tensor Tensor::astype(DType to) const {
  if (to == dtype()) return *this;
  Tensor out = empty(shape(), to, &backend());
  backend().cast(raw_data(*this), dtype(), raw_data(out), to, static_cast<std::size_t>(size()));
  return out;
}

Tensor Tensor::slice(std::int64_t start, std::int64_t stop) const {
  if (rank() == 0) throw ShapeError("cannot slice a scalar tensor");
  const std::int64_t n = dim(0);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0 || stop > n || start > stop) {
    throw ShapeError("slice [" + std::to_string(start) + ", " + std::to_string(stop) +
                     ") is outside the first axis of a tensor of shape " + to_string(shape()));
  }
  auto impl = std::make_shared<internal::TensorImpl>(*impl_);
  impl->grad_fn = nullptr;
  impl->requires_grad = false;
  const std::int64_t row = n ? size() / n : 0;
  impl->offset += static_cast<std::size_t>(start * row);
  impl->shape[0] = stop - start;
  return Tensor(std::move(impl));
}

Tensor Tensor::operator[](std::int64_t i) const {
  const std::int64_t n = rank() ? dim(0) : 0;
  if (i < 0) i += n;
  Tensor row = slice(i, i + 1);
  row.impl_->shape = row.shape().without_batch();
  return row;
}

Tensor Tensor::reshape(const Shape& new_shape) const { return ops::reshape(*this, new_shape); }

Tensor Tensor::clone(Backend* target) const {
  Backend& dst = target ? *target : backend();
  Tensor out = empty(shape(), dtype(), &dst);
  const std::size_t bytes = static_cast<std::size_t>(size()) * size_of(dtype());
  if (&dst == &backend()) {
    dst.copy(raw_data(out), raw_data(*this), bytes);
  } else {
    backend().copy_to_backend(dst, raw_data(out), raw_data(*this), bytes);
  }
  return out;
}

std::int64_t Tensor::flat_index(std::initializer_list<std::int64_t> index) const {
  if (static_cast<int>(index.size()) != rank()) {
    throw ShapeError("index of " + std::to_string(index.size()) +
                     " coordinates for a tensor of shape " + to_string(shape()));
  }
  std::int64_t flat = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    const std::int64_t d = dim(axis);
    if (i < 0) i += d;
    if (i < 0 || i >= d) {
      throw ShapeError("index " + std::to_string(i) + " is out of range for axis " +
                       std::to_string(axis) + " of a tensor of shape " + to_string(shape()));
    }
    flat = flat * d + i;
    ++axis;
  }
  return flat;
}

template <class T>
T Tensor::at(std::initializer_list<std::int64_t> index) const {
  check_dtype(dtype_of<T>(), "at<T>()");
  const std::int64_t flat = flat_index(index);
  T value{};
  backend().copy_to_host(&value, static_cast<const T*>(raw_data(*this)) + flat, sizeof(T));
  internal::run_deferred_checks(backend());
  return value;
}

template <class T>
void Tensor::set(std::initializer_list<std::int64_t> index, T value) {
  check_dtype(dtype_of<T>(), "set<T>()");
  const std::int64_t flat = flat_index(index);
  backend().copy_from_host(static_cast<T*>(raw_data(*this)) + flat, &value, sizeof(T));
}

template <class T>
T Tensor::item() const {
  if (size() != 1) {
    throw ShapeError("item() needs a tensor with exactly one element, got shape " +
                     to_string(shape()));
  }
  if constexpr (std::is_same_v<T, float>) {
    if (internal::is_half(dtype())) return astype(float32).item<float>();
  }
  check_dtype(dtype_of<T>(), "item<T>()");
  T value{};
  backend().copy_to_host(&value, raw_data(*this), sizeof(T));
  internal::run_deferred_checks(backend());
  return value;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  if constexpr (std::is_same_v<T, float>) {
    if (internal::is_half(dtype())) return astype(float32).to_vector<float>();
  }
  check_dtype(dtype_of<T>(), "to_vector<T>()");
  std::vector<T> out(static_cast<std::size_t>(size()));
  backend().copy_to_host(out.data(), raw_data(*this), out.size() * sizeof(T));
  internal::run_deferred_checks(backend());
  return out;
}

#define KERAS_INSTANTIATE(T)                                                                \
  template Tensor Tensor::from_vector<T>(const std::vector<T>&, const Shape&, Backend*);    \
  template T* internal::data<T>(const Tensor&);                                              \
  template T Tensor::at<T>(std::initializer_list<std::int64_t>) const;                      \
  template void Tensor::set<T>(std::initializer_list<std::int64_t>, T);                     \
  template T Tensor::item<T>() const;                                                       \
  template std::vector<T> Tensor::to_vector<T>() const;
KERAS_INSTANTIATE(float)
KERAS_INSTANTIATE(bfloat16_t)
KERAS_INSTANTIATE(float16_t)
KERAS_INSTANTIATE(std::int32_t)
KERAS_INSTANTIATE(std::uint8_t)
#undef KERAS_INSTANTIATE

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool value) {
  if (value && !is_floating(dtype())) {
    throw ValueError("only floating-point tensors can require a gradient, got " +
                     to_string(dtype()));
  }
  if (impl_->grad_fn) {
    throw ValueError("set_requires_grad is for leaf tensors; this one was computed by '" +
                     impl_->grad_fn->op_name + "' (use detach() first)");
  }
  impl_->requires_grad = value;
  return *this;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<internal::TensorImpl>(*impl_);
  impl->grad_fn = nullptr;
  impl->requires_grad = false;
  return Tensor(std::move(impl));
}

void Tensor::assign(const Tensor& other) {
  if (other.shape() != shape() || other.dtype() != dtype()) {
    throw ShapeError("assign: cannot write a " + to_string(other.dtype()) + " tensor of shape " +
                     to_string(other.shape()) + " into a " + to_string(dtype()) +
                     " tensor of shape " + to_string(shape()));
  }
  const std::size_t bytes = static_cast<std::size_t>(size()) * size_of(dtype());
  if (&other.backend() == &backend()) {
    backend().copy(raw_data(*this), raw_data(other), bytes);
  } else {
    other.backend().copy_to_backend(backend(), raw_data(*this), raw_data(other), bytes);
  }
}

Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::subtract(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::multiply(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::divide(a, b); }
Tensor operator+(const Tensor& a, float b) { return ops::affine(a, 1.0f, b); }
Tensor operator-(const Tensor& a, float b) { return ops::affine(a, 1.0f, -b); }
Tensor operator*(const Tensor& a, float b) { return ops::affine(a, b, 0.0f); }
Tensor operator/(const Tensor& a, float b) {
  if (b == 0.0f) throw ValueError("division of a tensor by the scalar 0");
  return ops::affine(a, 1.0f / b, 0.0f);
}
Tensor operator+(float a, const Tensor& b) { return ops::affine(b, 1.0f, a); }
Tensor operator-(float a, const Tensor& b) { return ops::affine(b, -1.0f, a); }
Tensor operator*(float a, const Tensor& b) { return ops::affine(b, a, 0.0f); }
Tensor operator/(float a, const Tensor& b) { return ops::reciprocal(b) * a; }
Tensor operator-(const Tensor& a) { return ops::negative(a); }

namespace {
// Prints like NumPy: nested brackets, at most `edge` items at each end of long axes.
void print_axis(std::ostream& os, const std::vector<double>& v, const Shape& s, int axis,
                std::int64_t offset, std::int64_t stride_product, bool integral, int indent) {
  constexpr std::int64_t kEdge = 3;
  const std::int64_t n = s.dims()[axis];
  const std::int64_t inner = stride_product / std::max<std::int64_t>(n, 1);
  os << "[";
  for (std::int64_t i = 0; i < n; ++i) {
    if (n > 2 * kEdge && i == kEdge) {
      os << (axis + 1 == s.rank() ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = n - kEdge;
    }
    if (axis + 1 == s.rank()) {
      const double x = v[static_cast<std::size_t>(offset + i)];
      if (integral) {
        os << static_cast<long long>(x);
      } else {
        std::ostringstream cell;
        cell << std::setprecision(4) << x;
        os << cell.str();
      }
    } else {
      print_axis(os, v, s, axis + 1, offset + i * inner, inner, integral, indent + 1);
    }
    if (i + 1 < n) os << (axis + 1 == s.rank() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << "]";
}

std::vector<double> host_values(const Tensor& t) {
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(t.size()));
  switch (t.dtype()) {
    case DType::float32: for (float x : t.to_vector<float>()) v.push_back(x); break;
    case DType::bfloat16: for (auto x : t.to_vector<bfloat16_t>()) v.push_back(float(x)); break;
    case DType::float16: for (auto x : t.to_vector<float16_t>()) v.push_back(float(x)); break;
    case DType::int32: for (auto x : t.to_vector<std::int32_t>()) v.push_back(x); break;
    case DType::uint8: for (auto x : t.to_vector<std::uint8_t>()) v.push_back(x); break;
  }
  return v;
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  os << "Tensor(";
  const auto v = host_values(t);
  const bool integral = t.dtype() == DType::int32 || t.dtype() == DType::uint8;
  if (t.rank() == 0) {
    if (integral) os << static_cast<long long>(v[0]); else os << v[0];
  } else {
    print_axis(os, v, t.shape(), 0, 0, t.size(), integral, 7);
  }
  return os << ", shape=" << to_string(t.shape()) << ", dtype=" << to_string(t.dtype()) << ")";
}

std::string to_string(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

}  // namespace keras
