#pragma once
// Counter-based random numbers: element i of a draw with seed s is a pure function of (s, i),
// so every backend (and any number of threads) produces identical streams.
#include <cmath>
#include <cstdint>

#include "keras/internal/host_device.hpp"

namespace keras::internal {

// SplitMix64's finalizer applied to (seed, counter); passes BigCrush as a hash.
KERASCPP_HOST_DEVICE constexpr std::uint64_t random_bits(std::uint64_t seed, std::uint64_t counter) {
  std::uint64_t z = seed * 0xD1B54A32D192ED03ull + (counter + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 24 bits of resolution (exactly representable in float).
KERASCPP_HOST_DEVICE inline float random_unit(std::uint64_t seed, std::uint64_t counter) {
  return static_cast<float>(random_bits(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

// Standard normal by Box-Muller on two 32-bit halves of one draw.
KERASCPP_HOST_DEVICE inline float random_standard_normal(std::uint64_t seed, std::uint64_t counter) {
  const std::uint64_t bits = random_bits(seed, counter);
  const double u1 = (static_cast<double>(bits >> 32) + 1.0) / 4294967297.0;  // (0, 1)
  const double u2 = static_cast<double>(bits & 0xFFFFFFFFull) / 4294967296.0;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

}  // namespace keras::internal
