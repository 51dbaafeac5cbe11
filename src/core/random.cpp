#include "keras/core/random.hpp"

#include <mutex>
#include <random>

#include "keras/internal/capture_recording.hpp"
#include "keras/internal/random_bits.hpp"

namespace keras {

namespace {
std::mutex g_seed_mutex;
std::uint64_t g_seed_state = std::random_device{}() * 0x100000001B3ull ^ std::random_device{}();
std::uint64_t g_seed_counter = 0;
}  // namespace

namespace utils {
void set_random_seed(std::uint64_t seed) {
  std::lock_guard lock(g_seed_mutex);
  g_seed_state = seed;
  g_seed_counter = 0;
}
}  // namespace utils

namespace random {

std::uint64_t next_seed(std::optional<std::uint64_t> seed) {
  if (seed) return *seed;
  std::uint64_t value;
  {
    std::lock_guard lock(g_seed_mutex);
    value = internal::random_bits(g_seed_state, g_seed_counter++);
  }
  if (auto* recording = internal::CaptureRecording::active()) recording->seed_drawn(value, [] { return next_seed(); });
  return value;
}

StreamState global_state() {
  std::lock_guard lock(g_seed_mutex);
  return {g_seed_state, g_seed_counter};
}

void set_global_state(StreamState state) {
  std::lock_guard lock(g_seed_mutex);
  g_seed_state = state.seed;
  g_seed_counter = state.counter;
}

SeedGenerator::SeedGenerator(std::optional<std::uint64_t> seed) : seed_(next_seed(seed)) {}

std::uint64_t SeedGenerator::next() {
  const std::uint64_t value = internal::random_bits(seed_, counter_++);
  if (auto* recording = internal::CaptureRecording::active()) recording->seed_drawn(value, [this] { return next(); });
  return value;
}

Tensor uniform(const Shape& shape, UniformOptions o) {
  if (!(o.maxval > o.minval)) {
    throw ValueError("random::uniform needs minval < maxval, got [" + std::to_string(o.minval) +
                     ", " + std::to_string(o.maxval) + ")");
  }
  Tensor t = Tensor::empty(shape);
  const std::uint64_t seed = next_seed(o.seed);
  const auto n = static_cast<std::size_t>(t.size());
  if (const std::uint64_t* slot = internal::recorded_seed_slot(seed, t.backend())) {
    t.backend().random_uniform_at(internal::data<float>(t), n, slot, o.minval, o.maxval);
  } else {
    t.backend().random_uniform(internal::data<float>(t), n, seed, o.minval, o.maxval);
  }
  return t;
}

Tensor normal(const Shape& shape, NormalOptions o) {
  Tensor t = Tensor::empty(shape);
  const std::uint64_t seed = next_seed(o.seed);
  const auto n = static_cast<std::size_t>(t.size());
  if (const std::uint64_t* slot = internal::recorded_seed_slot(seed, t.backend())) {
    t.backend().random_normal_at(internal::data<float>(t), n, slot, o.mean, o.stddev);
  } else {
    t.backend().random_normal(internal::data<float>(t), n, seed, o.mean, o.stddev);
  }
  return t;
}

Tensor truncated_normal(const Shape& shape, NormalOptions o) {
  // Drawn on the host: redraws make the cost per element uneven, and this runs only for
  // initialization.
  const std::uint64_t seed = next_seed(o.seed);
  const auto n = static_cast<std::size_t>(shape.num_elements());
  std::vector<float> v(n);
  std::uint64_t counter = 0;
  for (auto& x : v) {
    float z;
    do {
      z = internal::random_standard_normal(seed, counter++);
    } while (z < -2.0f || z > 2.0f);
    x = o.mean + o.stddev * z;
  }
  return Tensor::from_vector(v, shape);
}

Tensor randint(const Shape& shape, std::int32_t minval, std::int32_t maxval, RandintOptions o) {
  if (maxval <= minval) {
    throw ValueError("random::randint needs minval < maxval, got [" + std::to_string(minval) +
                     ", " + std::to_string(maxval) + ")");
  }
  const std::uint64_t seed = next_seed(o.seed);
  const auto n = static_cast<std::size_t>(shape.num_elements());
  const auto range = static_cast<std::uint64_t>(static_cast<std::int64_t>(maxval) - minval);
  std::vector<std::int32_t> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<std::int32_t>(minval + static_cast<std::int64_t>(
                                                  internal::random_bits(seed, i) % range));
  }
  return Tensor::from_vector(v, shape);
}

}  // namespace random
}  // namespace keras
