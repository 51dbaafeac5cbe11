#pragma once
// keras.ops.custom_gradient: an op whose gradient the caller writes. `forward` computes the
// output from the inputs (its own ops are not recorded); `backward` maps the output's gradient to
// one gradient per input (an undefined Tensor means zero). Shake-Shake's independent backward
// coefficients and straight-through estimators are written with it.
#include <functional>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::ops {

Tensor custom_gradient(const std::vector<Tensor>& inputs,
                       const std::function<Tensor(const std::vector<Tensor>&)>& forward,
                       std::function<std::vector<Tensor>(const Tensor& output_gradient)> backward,
                       const char* name = "custom_gradient");

}  // namespace keras::ops
