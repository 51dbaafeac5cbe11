#pragma once
// The loop behind Backend::transpose for host backends: output row r (all axes but the last)
// comes from input elements at base(r) + j * step. Each caller copies any range of rows, so
// threads can split them; a last axis that stays last is one memcpy per row.
#include <cstdint>
#include <cstring>
#include <vector>

#include "isa_namespace.hpp"

namespace keras {
inline namespace KERASCPP_LOOPS_ISA {  // see isa_namespace.hpp

class TransposePlan {
 public:
  TransposePlan(const std::vector<std::int64_t>& dims, const std::vector<int>& perm) {
    const auto rank = dims.size();
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t a = rank; a-- > 1;) in_strides[a - 1] = in_strides[a] * dims[a];
    for (std::size_t i = 0; i < rank; ++i) {
      out_dims_.push_back(dims[static_cast<std::size_t>(perm[i])]);
      strides_.push_back(in_strides[static_cast<std::size_t>(perm[i])]);
    }
    row_len_ = rank ? out_dims_.back() : 1;
    step_ = rank ? strides_.back() : 1;
    rows_ = 1;
    for (std::size_t i = 0; i + 1 < rank; ++i) rows_ *= out_dims_[i];
  }
  std::int64_t rows() const { return rows_; }

  // Copies output rows [begin, end) of elements of `bytes` bytes.
  void copy(const char* x, char* y, std::size_t bytes, std::int64_t begin, std::int64_t end) const {
    const auto axes = static_cast<int>(out_dims_.size()) - 1;
    for (std::int64_t r = begin; r < end; ++r) {
      std::int64_t base = 0;
      for (std::int64_t rest = r, a = axes - 1; a >= 0; --a) {
        base += rest % out_dims_[static_cast<std::size_t>(a)] * strides_[static_cast<std::size_t>(a)];
        rest /= out_dims_[static_cast<std::size_t>(a)];
      }
      char* out = y + static_cast<std::size_t>(r * row_len_) * bytes;
      if (step_ == 1) {
        std::memcpy(out, x + static_cast<std::size_t>(base) * bytes, static_cast<std::size_t>(row_len_) * bytes);
        continue;
      }
      for (std::int64_t j = 0; j < row_len_; ++j) {
        std::memcpy(out + static_cast<std::size_t>(j) * bytes, x + static_cast<std::size_t>(base + j * step_) * bytes, bytes);
      }
    }
  }

 private:
  std::vector<std::int64_t> out_dims_, strides_;
  std::int64_t row_len_ = 1, step_ = 1, rows_ = 1;
};

}  // namespace KERASCPP_LOOPS_ISA
}  // namespace keras
