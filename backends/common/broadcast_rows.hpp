#pragma once
// Walks the innermost rows of a NumPy broadcast (BroadcastSpec): for output row r (all axes but
// the last), the offsets of that row's first element in operands a and b. Host backends loop
// over rows with it, each from any starting row (so threads can split the rows).
#include <cstdint>
#include <vector>

#include "isa_namespace.hpp"
#include "keras/core/backend.hpp"

namespace keras {
inline namespace KERASCPP_LOOPS_ISA {  // see isa_namespace.hpp

class BroadcastRowCursor {
 public:
  // Positions the cursor on output row `row` (spec must have rank >= 1).
  BroadcastRowCursor(const BroadcastSpec& spec, std::int64_t row)
      : s_(spec), counter_(spec.out_dims.size(), 0) {
    for (int axis = static_cast<int>(s_.out_dims.size()) - 2; axis >= 0; --axis) {
      counter_[axis] = row % s_.out_dims[axis];
      row /= s_.out_dims[axis];
      a_ += counter_[axis] * s_.a_strides[axis];
      b_ += counter_[axis] * s_.b_strides[axis];
    }
  }
  std::int64_t a() const { return a_; }
  std::int64_t b() const { return b_; }
  // Advances to the next row, carrying over the axes like an odometer.
  void next() {
    for (int axis = static_cast<int>(s_.out_dims.size()) - 2; axis >= 0; --axis) {
      if (++counter_[axis] < s_.out_dims[axis]) {
        a_ += s_.a_strides[axis];
        b_ += s_.b_strides[axis];
        return;
      }
      a_ -= s_.a_strides[axis] * (s_.out_dims[axis] - 1);
      b_ -= s_.b_strides[axis] * (s_.out_dims[axis] - 1);
      counter_[axis] = 0;
    }
  }

 private:
  const BroadcastSpec& s_;
  std::vector<std::int64_t> counter_;
  std::int64_t a_ = 0, b_ = 0;
};

}  // inline namespace KERASCPP_LOOPS_ISA
}  // namespace keras
