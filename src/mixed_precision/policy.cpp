// The global dtype policy and its supported values.
#include "keras/mixed_precision/policy.hpp"

#include <mutex>

#include "keras/core/errors.hpp"

namespace keras::mixed_precision {
namespace {

struct GlobalPolicy {
  std::mutex mutex;
  DTypePolicy policy{"float32"};
};

GlobalPolicy& global() {
  static GlobalPolicy g;
  return g;
}

}  // namespace

DTypePolicy::DTypePolicy(const std::string& name) : name_(name) {
  if (name == "float32" || name == "mixed_bfloat16" || name == "mixed_float16") return;
  std::string why;
  if (name == "float16" || name == "bfloat16") {
    why = " (kerascpp keeps variables in float32: use the mixed policy 'mixed_" + name + "')";
  }
  throw ValueError("dtype policy '" + name + "' is not supported" + why +
                   ": expected one of 'float32', 'mixed_bfloat16', 'mixed_float16'");
}

DType DTypePolicy::compute_dtype() const {
  if (name_ == "mixed_bfloat16") return DType::bfloat16;
  if (name_ == "mixed_float16") return DType::float16;
  return DType::float32;
}

void set_global_policy(const std::string& name) { set_global_policy(DTypePolicy(name)); }

void set_global_policy(const DTypePolicy& policy) {
  auto& g = global();
  std::lock_guard lock(g.mutex);
  g.policy = policy;
}

DTypePolicy global_policy() {
  auto& g = global();
  std::lock_guard lock(g.mutex);
  return g.policy;
}

}  // namespace keras::mixed_precision
