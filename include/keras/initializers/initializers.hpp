#pragma once
// Weight initializers with Keras' names and defaults. An Initializer is a small value: pass
// a name ("glorot_uniform", "he_normal", ...) or an object (initializers::HeNormal({.seed = 1})).
// A seeded initializer returns the same values on every call, as Keras 3's do.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "keras/core/tensor.hpp"

namespace keras::initializers {

class Initializer {
 public:
  enum class Kind : std::uint8_t {
    zeros, ones, constant, random_uniform, random_normal, truncated_normal,
    glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
  };
  Initializer(Kind kind = Kind::glorot_uniform, std::optional<std::uint64_t> seed = std::nullopt,
              float a = 0.0f, float b = 0.0f);
  // Keras' string identifiers; unknown names raise a ValueError listing the known ones.
  Initializer(const std::string& name);  // NOLINT: implicit like Keras' strings
  Initializer(const char* name);         // NOLINT

  Tensor operator()(const Shape& shape) const;
  std::string name() const;  // Keras' class name, e.g. "GlorotUniform"
  Kind kind() const { return kind_; }
  // What a config records: the seed, and the two numbers (constant: value; uniform: minval,
  // maxval; normal and truncated normal: mean, stddev).
  const std::optional<std::uint64_t>& seed() const { return seed_; }
  std::pair<float, float> parameters() const { return {a_, b_}; }

 private:
  Kind kind_;
  std::optional<std::uint64_t> seed_{};
  float a_, b_;  // constant: a; uniform: [a, b); normal: mean a, stddev b
};

struct SeedOptions {
  std::optional<std::uint64_t> seed{};
};
struct RandomUniformOptions {
  float minval = -0.05f;
  float maxval = 0.05f;
  std::optional<std::uint64_t> seed{};
};
struct RandomNormalOptions {
  float mean = 0.0f;
  float stddev = 0.05f;
  std::optional<std::uint64_t> seed{};
};

Initializer Zeros();
Initializer Ones();
Initializer Constant(float value = 0.0f);
Initializer RandomUniform(RandomUniformOptions options = {});
Initializer RandomNormal(RandomNormalOptions options = {});
Initializer TruncatedNormal(RandomNormalOptions options = {});
Initializer GlorotUniform(SeedOptions options = {});
Initializer GlorotNormal(SeedOptions options = {});
Initializer HeUniform(SeedOptions options = {});
Initializer HeNormal(SeedOptions options = {});
Initializer LecunUniform(SeedOptions options = {});
Initializer LecunNormal(SeedOptions options = {});

// Keras' fan computation: (in, out) for matrices; for conv kernels (..., in, out) the
// receptive field multiplies both.
std::pair<double, double> compute_fans(const Shape& shape);

}  // namespace keras::initializers
