#include "keras/initializers/initializers.hpp"

#include "keras/internal/name_lookup.hpp"
#include <cmath>
#include <map>

#include "keras/core/random.hpp"

namespace keras::initializers {

using Kind = Initializer::Kind;

namespace {
const std::map<std::string, Kind>& names() {
  static const std::map<std::string, Kind> table{
      {"zeros", Kind::zeros},
      {"ones", Kind::ones},
      {"random_uniform", Kind::random_uniform},
      {"random_normal", Kind::random_normal},
      {"truncated_normal", Kind::truncated_normal},
      {"glorot_uniform", Kind::glorot_uniform},
      {"glorot_normal", Kind::glorot_normal},
      {"he_uniform", Kind::he_uniform},
      {"he_normal", Kind::he_normal},
      {"lecun_uniform", Kind::lecun_uniform},
      {"lecun_normal", Kind::lecun_normal},
  };
  return table;
}

Initializer from_name(const std::string& name) {
  const Kind kind = internal::lookup_name(names(), name, "initializer");
  // Keras' defaults for the string forms of the random initializers.
  if (kind == Kind::random_uniform) return RandomUniform();
  if (kind == Kind::random_normal) return RandomNormal();
  if (kind == Kind::truncated_normal) return TruncatedNormal();
  return Initializer(kind);
}
}  // namespace

Initializer::Initializer(Kind kind, std::optional<std::uint64_t> seed, float a, float b)
    : kind_(kind), seed_(seed), a_(a), b_(b) {}
Initializer::Initializer(const std::string& name) : Initializer(from_name(name)) {}
Initializer::Initializer(const char* name) : Initializer(std::string(name)) {}

std::pair<double, double> compute_fans(const Shape& shape) {
  const auto& d = shape.dims();
  if (d.empty()) return {1.0, 1.0};
  if (d.size() == 1) return {static_cast<double>(d[0]), static_cast<double>(d[0])};
  double receptive = 1.0;
  for (std::size_t i = 0; i + 2 < d.size(); ++i) receptive *= static_cast<double>(d[i]);
  return {static_cast<double>(d[d.size() - 2]) * receptive,
          static_cast<double>(d[d.size() - 1]) * receptive};
}

Tensor Initializer::operator()(const Shape& shape) const {
  const auto [fan_in, fan_out] = compute_fans(shape);
  // Variance scaling (Keras): scale / fan, uniform limit sqrt(3 * var), truncated normal
  // stddev sqrt(var) / .87962566103423978 (the stddev of a unit normal truncated at 2).
  auto uniform_with_variance = [&](double variance) {
    const auto limit = static_cast<float>(std::sqrt(3.0 * variance));
    return random::uniform(shape, {-limit, limit, seed_});
  };
  auto truncated_with_variance = [&](double variance) {
    const auto stddev = static_cast<float>(std::sqrt(variance) / 0.87962566103423978);
    return random::truncated_normal(shape, {0.0f, stddev, seed_});
  };
  switch (kind_) {
    case Kind::zeros: return Tensor::zeros(shape);
    case Kind::ones: return Tensor::ones(shape);
    case Kind::constant: return Tensor::full(shape, a_);
    case Kind::random_uniform: return random::uniform(shape, {a_, b_, seed_});
    case Kind::random_normal: return random::normal(shape, {a_, b_, seed_});
    case Kind::truncated_normal: return random::truncated_normal(shape, {a_, b_, seed_});
    case Kind::glorot_uniform: return uniform_with_variance(2.0 / (fan_in + fan_out));
    case Kind::glorot_normal: return truncated_with_variance(2.0 / (fan_in + fan_out));
    case Kind::he_uniform: return uniform_with_variance(2.0 / fan_in);
    case Kind::he_normal: return truncated_with_variance(2.0 / fan_in);
    case Kind::lecun_uniform: return uniform_with_variance(1.0 / fan_in);
    case Kind::lecun_normal: return truncated_with_variance(1.0 / fan_in);
  }
  return Tensor();
}

std::string Initializer::name() const {
  switch (kind_) {
    case Kind::zeros: return "Zeros";
    case Kind::ones: return "Ones";
    case Kind::constant: return "Constant";
    case Kind::random_uniform: return "RandomUniform";
    case Kind::random_normal: return "RandomNormal";
    case Kind::truncated_normal: return "TruncatedNormal";
    case Kind::glorot_uniform: return "GlorotUniform";
    case Kind::glorot_normal: return "GlorotNormal";
    case Kind::he_uniform: return "HeUniform";
    case Kind::he_normal: return "HeNormal";
    case Kind::lecun_uniform: return "LecunUniform";
    case Kind::lecun_normal: return "LecunNormal";
  }
  return "";
}

Initializer Zeros() { return Initializer(Kind::zeros); }
Initializer Ones() { return Initializer(Kind::ones); }
Initializer Constant(float value) { return Initializer(Kind::constant, std::nullopt, value); }
Initializer RandomUniform(RandomUniformOptions o) {
  return Initializer(Kind::random_uniform, o.seed, o.minval, o.maxval);
}
Initializer RandomNormal(RandomNormalOptions o) {
  return Initializer(Kind::random_normal, o.seed, o.mean, o.stddev);
}
Initializer TruncatedNormal(RandomNormalOptions o) {
  return Initializer(Kind::truncated_normal, o.seed, o.mean, o.stddev);
}
Initializer GlorotUniform(SeedOptions o) { return Initializer(Kind::glorot_uniform, o.seed); }
Initializer GlorotNormal(SeedOptions o) { return Initializer(Kind::glorot_normal, o.seed); }
Initializer HeUniform(SeedOptions o) { return Initializer(Kind::he_uniform, o.seed); }
Initializer HeNormal(SeedOptions o) { return Initializer(Kind::he_normal, o.seed); }
Initializer LecunUniform(SeedOptions o) { return Initializer(Kind::lecun_uniform, o.seed); }
Initializer LecunNormal(SeedOptions o) { return Initializer(Kind::lecun_normal, o.seed); }

}  // namespace keras::initializers
