#pragma once
// Error types. Every message names what failed (layer, shape, file) and what would fix it.
#include <stdexcept>
#include <string>

namespace keras {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A wrong argument value (unknown activation name, negative units, ...).
class ValueError : public Error {
 public:
  using Error::Error;
};

// Shapes that do not fit together (layer input, op operands, set_weights).
class ShapeError : public ValueError {
 public:
  using ValueError::ValueError;
};

// Files: missing, corrupt, wrong layout.
class IOError : public Error {
 public:
  using Error::Error;
};

// A backend that is unknown, not built, or without its device.
class BackendError : public Error {
 public:
  using Error::Error;
};

}  // namespace keras
