#pragma once
// Golden fixtures made by real Keras (tools/make_*_fixtures.py), read once per test binary.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace test_support {

inline const nlohmann::json& keras_fixture(const std::string& file) {
  static std::map<std::string, nlohmann::json> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    const std::string path = std::string(KERASCPP_SOURCE_DIR) + "/tests/fixtures/" + file;
    std::ifstream in(path);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    it = cache.emplace(file, nlohmann::json::parse(in)).first;
  }
  return it->second;
}

}  // namespace test_support
