#pragma once
// The message of the keras::Error a call throws ("" when it throws none), for checking that an
// error names the right things.
#include <functional>
#include <string>

#include "keras/core/errors.hpp"

namespace test_support {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const keras::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace test_support
