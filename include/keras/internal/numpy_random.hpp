#pragma once
// numpy's legacy RandomState (np.random.seed / uniform / random / choice / permutation):
// MT19937, 53-bit doubles from two draws, and masked rejection for integers. Used where Keras'
// own draws must be reproduced exactly (ImageDataGenerator's transforms and flow order).
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace keras::internal {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed = 0) : mt_(seed) {}  // np.random.seed(int)
  void seed(std::uint32_t s) { mt_.seed(s); }

  // np.random.random(): (a >> 5, b >> 6) -> [0, 1) with 53 bits.
  double random() {
    const auto a = static_cast<std::uint32_t>(mt_()) >> 5, b = static_cast<std::uint32_t>(mt_()) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }
  double uniform(double low, double high) { return low + (high - low) * random(); }
  // An integer in [0, max] by masked rejection (legacy randint / choice / shuffle).
  std::uint32_t interval(std::uint32_t max) {
    if (max == 0) return 0;
    std::uint32_t mask = max;
    for (int s = 1; s < 32; s <<= 1) mask |= mask >> s;
    std::uint32_t v;
    while ((v = static_cast<std::uint32_t>(mt_()) & mask) > max) {
    }
    return v;
  }
  // np.random.permutation(n): Fisher-Yates from the end.
  std::vector<std::int64_t> permutation(std::int64_t n) {
    std::vector<std::int64_t> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), 0);
    for (std::int64_t i = n - 1; i >= 1; --i) {
      std::swap(p[static_cast<std::size_t>(i)], p[interval(static_cast<std::uint32_t>(i))]);
    }
    return p;
  }

 private:
  std::mt19937 mt_;
};

}  // namespace keras::internal
