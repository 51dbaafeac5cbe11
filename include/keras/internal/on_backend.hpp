#pragma once
// A tensor on a given backend: itself when it is there already, else a copy made there.
#include "keras/core/backend.hpp"
#include "keras/core/tensor.hpp"

namespace keras::internal {

inline Tensor on_backend(Backend& backend, const Tensor& t) {
  return &t.backend() == &backend ? t : t.clone(&backend);
}

}  // namespace keras::internal
