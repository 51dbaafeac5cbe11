#pragma once
// Element types. Kernels compute in float32; the other types are storage formats reached
// through Tensor::astype (bfloat16/float16 compute arrives with mixed precision).
#include <cstdint>
#include <cstring>
#include <string>

namespace keras {

enum class DType : std::uint8_t { float32, bfloat16, float16, int32, uint8 };

inline constexpr DType float32 = DType::float32;
inline constexpr DType bfloat16 = DType::bfloat16;
inline constexpr DType float16 = DType::float16;
inline constexpr DType int32 = DType::int32;
inline constexpr DType uint8 = DType::uint8;

std::size_t size_of(DType dtype);
std::string to_string(DType dtype);
// Parses Keras' dtype names ("float32", "bfloat16", ...); throws ValueError otherwise.
DType dtype_from_string(const std::string& name);
bool is_floating(DType dtype);

// 16-bit float storage types with round-to-nearest-even conversion from float.
struct bfloat16_t {
  std::uint16_t bits = 0;
  bfloat16_t() = default;
  explicit bfloat16_t(float value);
  explicit operator float() const;
};

struct float16_t {
  std::uint16_t bits = 0;
  float16_t() = default;
  explicit float16_t(float value);
  explicit operator float() const;
};

// The DType that stores a C++ element type.
template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::float32; }
template <>
constexpr DType dtype_of<bfloat16_t>() { return DType::bfloat16; }
template <>
constexpr DType dtype_of<float16_t>() { return DType::float16; }
template <>
constexpr DType dtype_of<std::int32_t>() { return DType::int32; }
template <>
constexpr DType dtype_of<std::uint8_t>() { return DType::uint8; }

}  // namespace keras
