#pragma once
// Golden fixtures made by real Keras (tools/make_*_fixtures.py), read once per test binary.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

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

// The float32 tensor a fixture record stores as a flat list `values` and a shape `shape`.
inline keras::Tensor fixture_tensor(const nlohmann::json& record, const char* values, const char* shape) {
  return keras::Tensor::from_vector(record.at(values).get<std::vector<float>>(),
                                    keras::Shape(record.at(shape).get<std::vector<std::int64_t>>()));
}

}  // namespace test_support
