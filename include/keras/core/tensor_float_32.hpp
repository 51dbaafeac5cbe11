#pragma once
// TensorFloat-32 for float32 matrix products and convolutions on NVIDIA Ampere and later GPUs:
// TensorFlow's tf.config.experimental.enable_tensor_float_32_execution, under Keras' config
// namespace. On by default, as in TensorFlow (Keras' default backend): float32 inputs of gemm and
// convolutions are rounded to 10 mantissa bits inside the cuda backend's tensor cores, with
// float32 accumulation. Off, they run in IEEE float32. The cpu and reference backends always
// compute float32 in full precision. Read at each call, so a change applies to the next kernel.
namespace keras::config {

void enable_tensor_float_32_execution(bool enabled);
bool tensor_float_32_execution_enabled();

}  // namespace keras::config
