#pragma once
// Tensor shapes. A dimension of -1 is Keras' `None` (unknown batch size in symbolic shapes).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace keras {

class Shape {
 public:
  static constexpr std::int64_t kNone = -1;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  // Axis may be negative (counted from the end), as in NumPy.
  std::int64_t operator[](int axis) const { return dims_.at(normalize_axis(axis)); }
  std::int64_t& operator[](int axis) { return dims_.at(normalize_axis(axis)); }
  int normalize_axis(int axis) const;

  // Product of all dimensions; throws if a dimension is None.
  std::int64_t num_elements() const;
  bool fully_defined() const;
  const std::vector<std::int64_t>& dims() const { return dims_; }
  std::vector<std::int64_t>::const_iterator begin() const { return dims_.begin(); }
  std::vector<std::int64_t>::const_iterator end() const { return dims_.end(); }

  // The shape without its first (batch) dimension, and with a batch dimension prepended.
  Shape without_batch() const;
  Shape with_batch(std::int64_t batch) const;

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::int64_t> dims_;
};

// "(None, 32, 32, 3)" as Keras prints shapes; "()" for scalars, "(5,)" for rank 1.
std::string to_string(const Shape& shape);

}  // namespace keras
