#pragma once
// Tensor: an n-dimensional array in a backend's memory, channels-last like Keras.
// Copies of a Tensor share storage (like NumPy views); slicing along the batch axis is free.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/backend.hpp"
#include "keras/core/dtype.hpp"
#include "keras/core/errors.hpp"
#include "keras/core/shape.hpp"

namespace keras {

namespace internal {
struct Node;

// Memory owned by one backend; freed through it.
struct Storage {
  Backend* backend = nullptr;
  void* data = nullptr;
  std::size_t bytes = 0;
  Storage(Backend& b, std::size_t n);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  std::size_t offset = 0;  // in elements
  Shape shape;
  DType dtype = DType::float32;
  // Autograd: set on tensors whose gradient is wanted (variables) or that an op
  // computed from such tensors; grad_fn is the op that produced this tensor.
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;
};
}  // namespace internal

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor

  // --- creation (on the active backend unless one is given) ---
  static Tensor empty(const Shape& shape, DType dtype = float32, Backend* backend = nullptr);
  static Tensor zeros(const Shape& shape, DType dtype = float32, Backend* backend = nullptr);
  static Tensor ones(const Shape& shape, DType dtype = float32, Backend* backend = nullptr);
  static Tensor full(const Shape& shape, float value, DType dtype = float32,
                     Backend* backend = nullptr);
  static Tensor scalar(float value, Backend* backend = nullptr);
  // Copies host data; the element type picks the dtype.
  template <class T>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                            Backend* backend = nullptr);

  // --- properties ---
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int rank() const { return shape().rank(); }
  std::int64_t dim(int axis) const { return shape()[axis]; }
  std::int64_t size() const;  // number of elements
  DType dtype() const;
  Device device() const;
  Backend& backend() const;

  // --- conversion and views ---
  Tensor astype(DType dtype) const;
  // A view of rows [start, stop) of the first axis (negative indices count from the end).
  Tensor slice(std::int64_t start, std::int64_t stop) const;
  // The sample at index i of the first axis, without that axis.
  Tensor operator[](std::int64_t i) const;
  // Same data, another shape (one dimension may be -1 and is inferred).
  Tensor reshape(const Shape& shape) const;
  // A copy in fresh storage, optionally on another backend or device (backend to backend, not
  // through a host vector where both sides can do better).
  Tensor clone(Backend* backend = nullptr) const;

  // --- values on the host: each waits for the backend's queued work (a synchronization) ---
  // T must be the dtype's element type, except that item<float> and to_vector<float> also
  // read bfloat16 and float16 tensors, widened exactly (a mixed-precision model's outputs).
  template <class T>
  T at(std::initializer_list<std::int64_t> index) const;
  template <class T>
  T item() const;
  template <class T>
  std::vector<T> to_vector() const;
  // Writes one element.
  template <class T>
  void set(std::initializer_list<std::int64_t> index, T value);

  // --- autograd ---
  bool requires_grad() const;
  // Marks a leaf tensor as one whose gradient is wanted.
  Tensor& set_requires_grad(bool value);
  // The same data, cut from the graph.
  Tensor detach() const;
  // Overwrites this tensor's data with another's (same shape and dtype), in place.
  void assign(const Tensor& other);

  // Identity of the underlying tensor (two Tensor handles can share it).
  const internal::TensorImpl* id() const { return impl_.get(); }
  const std::shared_ptr<internal::TensorImpl>& impl() const { return impl_; }
  explicit Tensor(std::shared_ptr<internal::TensorImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::int64_t flat_index(std::initializer_list<std::int64_t> index) const;
  void check_dtype(DType expected, const char* what) const;
  std::shared_ptr<internal::TensorImpl> impl_;
};

namespace internal {
// The backend pointer to a tensor's first element, for ops and backends only: on a device
// backend it is device memory, which the host must never dereference (use to_vector / item).
void* raw_data(const Tensor& t);
// raw_data as T*, after checking that the tensor's dtype is T.
template <class T>
T* data(const Tensor& t);
}  // namespace internal

// Arithmetic with NumPy broadcasting; differentiable.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator/(float a, const Tensor& b);
Tensor operator-(const Tensor& a);

// NumPy-like printing; large tensors are summarized with "...".
std::ostream& operator<<(std::ostream& os, const Tensor& t);
std::string to_string(const Tensor& t);

}  // namespace keras
