#include "keras/core/shape.hpp"

#include "keras/core/errors.hpp"

namespace keras {

int Shape::normalize_axis(int axis) const {
  const int r = rank();
  const int a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) {
    throw ValueError("axis " + std::to_string(axis) + " is out of range for a tensor of shape " +
                     to_string(*this));
  }
  return a;
}

std::int64_t Shape::num_elements() const {
  std::int64_t n = 1;
  for (auto d : dims_) {
    if (d < 0) {
      throw ShapeError("shape " + to_string(*this) +
                       " has an unknown (None) dimension; a concrete shape is needed here");
    }
    n *= d;
  }
  return n;
}

bool Shape::fully_defined() const {
  for (auto d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

Shape Shape::without_batch() const {
  if (dims_.empty()) throw ShapeError("a scalar shape has no batch dimension");
  return Shape(std::vector<std::int64_t>(dims_.begin() + 1, dims_.end()));
}

Shape Shape::with_batch(std::int64_t batch) const {
  std::vector<std::int64_t> d{batch};
  d.insert(d.end(), dims_.begin(), dims_.end());
  return Shape(std::move(d));
}

std::string to_string(const Shape& shape) {
  std::string s = "(";
  for (int i = 0; i < shape.rank(); ++i) {
    if (i) s += ", ";
    s += shape.dims()[i] < 0 ? "None" : std::to_string(shape.dims()[i]);
  }
  if (shape.rank() == 1) s += ",";
  return s + ")";
}

}  // namespace keras
