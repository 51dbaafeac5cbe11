#include "keras/core/dtype.hpp"

#include <bit>

#include "keras/core/errors.hpp"

namespace keras {

std::size_t size_of(DType dtype) {
  switch (dtype) {
    case DType::float32: return 4;
    case DType::bfloat16: return 2;
    case DType::float16: return 2;
    case DType::int32: return 4;
    case DType::uint8: return 1;
  }
  return 0;
}

std::string to_string(DType dtype) {
  switch (dtype) {
    case DType::float32: return "float32";
    case DType::bfloat16: return "bfloat16";
    case DType::float16: return "float16";
    case DType::int32: return "int32";
    case DType::uint8: return "uint8";
  }
  return "unknown";
}

DType dtype_from_string(const std::string& name) {
  for (DType d : {DType::float32, DType::bfloat16, DType::float16, DType::int32, DType::uint8}) {
    if (to_string(d) == name) return d;
  }
  throw ValueError("unknown dtype '" + name +
                   "': expected one of float32, bfloat16, float16, int32, uint8");
}

bool is_floating(DType dtype) {
  return dtype == DType::float32 || dtype == DType::bfloat16 || dtype == DType::float16;
}

bfloat16_t::bfloat16_t(float value) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu) != 0) {
    bits = static_cast<std::uint16_t>((u >> 16) | 0x0040u);  // keep NaN a (quiet) NaN
    return;
  }
  const std::uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);  // round to nearest even
  bits = static_cast<std::uint16_t>((u + rounding) >> 16);
}

bfloat16_t::operator float() const {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

float16_t::float16_t(float value) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t abs = u & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) {  // inf or NaN
    bits = static_cast<std::uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u));
    return;
  }
  if (abs >= 0x477FF000u) {  // rounds past the largest half (65504): infinity
    bits = static_cast<std::uint16_t>(sign | 0x7C00u);
    return;
  }
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    // Scale so that the half subnormal unit (2^-24) becomes 1, then round to nearest even.
    const float magnitude = std::bit_cast<float>(abs) * 16777216.0f;
    const auto whole = static_cast<std::uint32_t>(magnitude);
    const float frac = magnitude - static_cast<float>(whole);
    std::uint32_t rounded = whole;
    if (frac > 0.5f || (frac == 0.5f && (whole & 1u))) ++rounded;
    bits = static_cast<std::uint16_t>(sign | rounded);
    return;
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa from 23 to 10 bits.
  const std::uint32_t rebased = abs - 0x38000000u;
  const std::uint32_t rounding = 0xFFFu + ((rebased >> 13) & 1u);
  bits = static_cast<std::uint16_t>(sign | ((rebased + rounding) >> 13));
}

float16_t::operator float() const {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1Fu;
  const std::uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) {
    return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

}  // namespace keras
