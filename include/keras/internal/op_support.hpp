#pragma once
// Helpers shared by op implementations: argument checks and output allocation.
#include <string>
#include <vector>

#include "keras/core/autograd.hpp"
#include "keras/core/tensor.hpp"

namespace keras::internal {

// Ops compute in float32; anything else is a clear error telling how to convert.
void require_float32(const Tensor& t, const char* op);
// All operands must live on one backend.
Backend& common_backend(const std::vector<Tensor>& ts, const char* op);
// An uninitialized float32 output on the given backend.
Tensor new_output(const Shape& shape, Backend& backend);
// An element-wise op with its gradient (the backend's unary / unary_backward kernels).
Tensor unary_op(UnaryOp op, UnaryParams params, const char* name, const Tensor& x);
inline float* f32(const Tensor& t) { return data<float>(t); }
inline std::size_t count(const Tensor& t) { return static_cast<std::size_t>(t.size()); }

}  // namespace keras::internal
