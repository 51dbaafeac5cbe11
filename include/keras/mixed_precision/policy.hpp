#pragma once
// keras.mixed_precision: the dtype policy layers compute with. "float32" (the default) or
// "mixed_bfloat16": convolutions and matrix products multiply in bfloat16 and accumulate in
// float32, while variables, the optimizer and every other op stay float32. A layer takes the
// global policy in force when it is constructed, as in Keras.
#include <string>

#include "keras/core/backend.hpp"
#include "keras/core/dtype.hpp"

namespace keras::mixed_precision {

class DTypePolicy {
 public:
  // "float32" or "mixed_bfloat16"; any other name is a ValueError listing these.
  explicit DTypePolicy(const std::string& name = "float32");
  const std::string& name() const { return name_; }
  DType compute_dtype() const;
  DType variable_dtype() const { return DType::float32; }
  // The arithmetic of the policy's convolutions and matrix products.
  MathPrecision math_precision() const;

 private:
  std::string name_;
};

void set_global_policy(const std::string& name);
void set_global_policy(const DTypePolicy& policy);
DTypePolicy global_policy();

}  // namespace keras::mixed_precision
