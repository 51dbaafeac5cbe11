#pragma once
// Helpers shared by op implementations: argument checks and output allocation.
#include <string>
#include <vector>

#include "keras/core/autograd.hpp"
#include "keras/core/tensor.hpp"

namespace keras::internal {

// Kernels compute in float32 (16-bit operands are widened first, see widened); anything else
// is a clear error telling how to convert.
void require_float32(const Tensor& t, const char* op);

// Mixed precision. An op whose kernels are float32 only computes a 16-bit operand (bfloat16,
// float16) widened to float32 and rounds its result back to the operands' type once, so a
// bfloat16 in gives a bfloat16 out, as in Keras. Matrix products and convolutions have 16-bit
// kernels and skip the round trip.
bool is_half(DType dtype);
bool is_half(const Tensor& t);
// Keras' result type of two floating operands: their type when they agree, else float32.
DType promoted(DType a, DType b);
// x as float32 (a differentiable cast; x itself when it is float32 already).
Tensor widened(const Tensor& x);
// f (an op on float32 operands) on `inputs` widened, its result rounded to `result`. The tape
// keeps only the 16-bit inputs: the backward pass widens them again and recomputes f to
// differentiate it (as gradient checkpointing does), so no float32 copy of an activation stays
// alive between the forward and the backward pass.
using Float32Op = std::function<Tensor(const std::vector<Tensor>&)>;
Tensor in_float32(const char* name, const std::vector<Tensor>& inputs, DType result, Float32Op f);
// in_float32's tape entry alone, for an op that computed y = f(inputs widened) itself.
void record_in_float32(Tensor& y, const char* name, const std::vector<Tensor>& inputs, Float32Op f);
// All operands must live on one backend.
Backend& common_backend(const std::vector<Tensor>& ts, const char* op);
// An uninitialized float32 output on the given backend.
Tensor new_output(const Shape& shape, Backend& backend);
// An element-wise op with its gradient (the backend's unary / unary_backward kernels).
Tensor unary_op(UnaryOp op, UnaryParams params, const char* name, const Tensor& x);
inline float* f32(const Tensor& t) { return data<float>(t); }
inline std::size_t count(const Tensor& t) { return static_cast<std::size_t>(t.size()); }

}  // namespace keras::internal
