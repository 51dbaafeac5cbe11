#pragma once
// Looking up Keras' string identifiers ("adam", "relu", "mse" ...): an unknown name is a
// ValueError that lists the accepted ones.
#include <string>

#include "keras/core/errors.hpp"

namespace keras::internal {

template <class Table>
const typename Table::mapped_type& lookup_name(const Table& table, const std::string& name, const char* kind) {
  const auto it = table.find(name);
  if (it == table.end()) {
    std::string known;
    for (const auto& entry : table) known += (known.empty() ? "" : ", ") + entry.first;
    throw ValueError("unknown " + std::string(kind) + " '" + name + "': expected one of " + known);
  }
  return it->second;
}

}  // namespace keras::internal
