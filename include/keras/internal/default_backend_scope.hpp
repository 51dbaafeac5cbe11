#pragma once
// Makes a backend this thread's default (what backend::get() returns) for a scope. fit's data
// workers build each batch on the host this way, so the only work they give a device is the
// finished batch's upload (docs/backend_contract.md, "Threads").
#include "keras/core/backend.hpp"

namespace keras::internal {

class DefaultBackendScope {
 public:
  explicit DefaultBackendScope(Backend& backend);
  ~DefaultBackendScope();
  DefaultBackendScope(const DefaultBackendScope&) = delete;
  DefaultBackendScope& operator=(const DefaultBackendScope&) = delete;

 private:
  Backend* previous_;
};

}  // namespace keras::internal
