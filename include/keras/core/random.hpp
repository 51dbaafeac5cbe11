#pragma once
// keras::random: seeded tensors of random numbers, and the process-wide seed state.
#include <cstdint>
#include <optional>

#include "keras/core/tensor.hpp"

namespace keras {

namespace utils {
// Seeds every unseeded random draw of the library (initializers, dropout, shuffling), as
// keras.utils.set_random_seed does.
void set_random_seed(std::uint64_t seed);
}  // namespace utils

namespace random {

// Where a draw's seed comes from: a fixed one, or the next of the global sequence.
std::uint64_t next_seed(std::optional<std::uint64_t> seed = std::nullopt);

// A random stream's position: its seed and how many draws it has made. BackupAndRestore saves
// and restores these so a resumed run draws what the uninterrupted one would have.
struct StreamState {
  std::uint64_t seed = 0;
  std::uint64_t counter = 0;
};
StreamState global_state();
void set_global_state(StreamState state);

// Like keras.random.SeedGenerator: a layer's own stream, so seeded layers repeat exactly.
class SeedGenerator {
 public:
  explicit SeedGenerator(std::optional<std::uint64_t> seed = std::nullopt);
  std::uint64_t next();
  StreamState state() const { return {seed_, counter_}; }
  void set_state(StreamState state) {
    seed_ = state.seed;
    counter_ = state.counter;
  }

 private:
  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
};

struct UniformOptions {
  float minval = 0.0f;
  float maxval = 1.0f;
  std::optional<std::uint64_t> seed{};
};
struct NormalOptions {
  float mean = 0.0f;
  float stddev = 1.0f;
  std::optional<std::uint64_t> seed{};
};
struct RandintOptions {
  std::optional<std::uint64_t> seed{};
};

Tensor uniform(const Shape& shape, UniformOptions options = {});
Tensor normal(const Shape& shape, NormalOptions options = {});
// Normal draws farther than two standard deviations from the mean are redrawn.
Tensor truncated_normal(const Shape& shape, NormalOptions options = {});
// Integers in [minval, maxval), int32.
Tensor randint(const Shape& shape, std::int32_t minval, std::int32_t maxval,
               RandintOptions options = {});

}  // namespace random
}  // namespace keras
