#pragma once
// Makes a backend the active one for a scope (a test), and the previous one active again after.
#include <string>

#include "keras/core/backend.hpp"

namespace test_support {

struct ActiveBackend {
  explicit ActiveBackend(const std::string& name) : before(keras::backend::active_name()) { keras::backend::set(name); }
  ~ActiveBackend() { keras::backend::set(before); }
  ActiveBackend(const ActiveBackend&) = delete;
  ActiveBackend& operator=(const ActiveBackend&) = delete;
  std::string before;
};

}  // namespace test_support
