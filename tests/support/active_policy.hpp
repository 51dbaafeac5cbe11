#pragma once
// Makes a dtype policy the global one for a scope (a test), and the previous one global again after.
#include <string>

#include "keras/mixed_precision/policy.hpp"

namespace test_support {

struct ActivePolicy {
  explicit ActivePolicy(const std::string& name) { keras::mixed_precision::set_global_policy(name); }
  ~ActivePolicy() { keras::mixed_precision::set_global_policy(before); }
  ActivePolicy(const ActivePolicy&) = delete;
  ActivePolicy& operator=(const ActivePolicy&) = delete;
  keras::mixed_precision::DTypePolicy before = keras::mixed_precision::global_policy();
};

}  // namespace test_support
