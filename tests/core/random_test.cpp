#include <doctest/doctest.h>

#include <cmath>

#include "keras/keras.hpp"

using namespace keras;

TEST_CASE("seeded draws repeat - different seeds differ") {
  const auto a = random::uniform({1000}, {.seed = 5}).to_vector<float>();
  CHECK(random::uniform({1000}, {.seed = 5}).to_vector<float>() == a);
  CHECK(random::uniform({1000}, {.seed = 6}).to_vector<float>() != a);
  CHECK(random::normal({10}, {.seed = 1}).to_vector<float>() ==
        random::normal({10}, {.seed = 1}).to_vector<float>());
}

TEST_CASE("distributions have the requested moments and ranges") {
  const auto u = random::uniform({20000}, {.minval = -2.0f, .maxval = 4.0f, .seed = 1}).to_vector<float>();
  double mean = 0;
  for (float v : u) {
    CHECK(v >= -2.0f);
    CHECK(v < 4.0f);
    mean += v;
  }
  CHECK(mean / u.size() == doctest::Approx(1.0).epsilon(0.03));
  const auto n = random::normal({20000}, {.mean = 1.0f, .stddev = 2.0f, .seed = 2}).to_vector<float>();
  double m = 0, sq = 0;
  for (float v : n) m += v;
  m /= n.size();
  for (float v : n) sq += (v - m) * (v - m);
  CHECK(m == doctest::Approx(1.0).epsilon(0.05));
  CHECK(std::sqrt(sq / n.size()) == doctest::Approx(2.0).epsilon(0.03));
  for (float v : random::truncated_normal({5000}, {.stddev = 1.0f, .seed = 3}).to_vector<float>()) {
    CHECK(std::fabs(v) <= 2.0f);
  }
  const auto ints = random::randint({5000}, 3, 7, {.seed = 4}).to_vector<std::int32_t>();
  std::vector<int> counts(4, 0);
  for (auto v : ints) {
    REQUIRE(v >= 3);
    REQUIRE(v < 7);
    ++counts[v - 3];
  }
  for (int c : counts) CHECK(c > 1000);
  CHECK_THROWS_AS(random::uniform({3}, {.minval = 1.0f, .maxval = 1.0f}), ValueError);
}

TEST_CASE("set_random_seed makes unseeded draws reproducible") {
  utils::set_random_seed(42);
  const auto first = random::uniform({8}).to_vector<float>();
  utils::set_random_seed(42);
  CHECK(random::uniform({8}).to_vector<float>() == first);
  CHECK(random::uniform({8}).to_vector<float>() != first);
}
