// The global dtype policy and its two supported values.
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
  if (name == "float32" || name == "mixed_bfloat16") return;
  std::string why;
  if (name == "mixed_float16" || name == "float16" || name == "bfloat16") {
    why = " (kerascpp keeps variables in float32 and has no loss scaling, so it offers the "
          "mixed policy for bfloat16 only)";
  }
  throw ValueError("dtype policy '" + name + "' is not supported" + why +
                   ": expected one of 'float32', 'mixed_bfloat16'");
}

DType DTypePolicy::compute_dtype() const {
  return name_ == "mixed_bfloat16" ? DType::bfloat16 : DType::float32;
}

MathPrecision DTypePolicy::math_precision() const {
  return name_ == "mixed_bfloat16" ? MathPrecision::bfloat16 : MathPrecision::float32;
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
