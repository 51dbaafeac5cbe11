#pragma once
// keras.mixed_precision: the dtype policy layers compute with. "float32" (the default),
// "mixed_bfloat16" or "mixed_float16": layers cast their inputs and variables to the compute
// dtype (bfloat16 or float16) and their outputs are of that dtype, while variables, the
// optimizer and the losses stay float32. Convolutions and matrix products compute natively in
// 16 bits with float32 accumulation; other ops widen to float32 and round their result back.
// A layer takes the global policy in force when it is constructed, as in Keras. compile()
// wraps the optimizer in a LossScaleOptimizer under "mixed_float16", as Keras does.
#include <string>

#include "keras/core/backend.hpp"
#include "keras/core/dtype.hpp"

namespace keras::mixed_precision {

class DTypePolicy {
 public:
  // "float32", "mixed_bfloat16" or "mixed_float16"; any other name is a ValueError listing these.
  explicit DTypePolicy(const std::string& name = "float32");
  const std::string& name() const { return name_; }
  DType compute_dtype() const;
  DType variable_dtype() const { return DType::float32; }

 private:
  std::string name_;
};

void set_global_policy(const std::string& name);
void set_global_policy(const DTypePolicy& policy);
DTypePolicy global_policy();

}  // namespace keras::mixed_precision
