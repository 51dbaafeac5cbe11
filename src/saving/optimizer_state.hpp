#pragma once
// An optimizer's state as Keras lists its variables: the step counter, the learning rate
// (Keras 3 only) and the slots in creation order. Both model file formats store this list;
// they differ only in where and under which names.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"
#include "keras/optimizers/optimizer.hpp"

namespace keras::internal {

struct OptimizerVariable {
  std::string name;  // Keras 3's "<optimizer>/iteration", "<optimizer>/learning_rate", ...
  Tensor value;      // a slot; undefined for the two scalars
  double scalar = 0.0;  // the iteration (an integer, kept exact in a double) or learning rate
  bool integer = false;
  bool is_scalar() const { return !value.defined(); }
};

// Keras 3's list: iteration, learning_rate (not with a schedule that the config carries), slots.
std::vector<OptimizerVariable> optimizer_variables(const optimizers::Optimizer& optimizer);

// Builds the optimizer for `trainable` and restores a saved list: Keras 3's (with the
// learning rate) or tf.keras 2.11-2.15's (iteration, then the slots). A list that fits neither
// (another optimizer, Keras 2's pre-2.11 optimizers) leaves the optimizer fresh and says so on
// stderr, as Keras does.
void restore_optimizer_variables(optimizers::Optimizer& optimizer, const std::vector<VariablePtr>& trainable,
                                 const std::vector<OptimizerVariable>& saved, const std::string& where);

// One saved variable: a scalar (int64 or float32 when written, any numeric type when read) or a
// float32 slot.
void write_optimizer_dataset(hid_t parent, const std::string& name, const OptimizerVariable& v, const std::string& where);
OptimizerVariable read_optimizer_dataset(hid_t dataset, const std::string& name, const std::string& where);

// Keras 3's layout of the list in a weights file: "optimizer/vars" (attribute name: the
// optimizer's snake_case name) with datasets 0, 1, ...
void write_keras3_optimizer(hid_t file, const optimizers::Optimizer& optimizer, const std::string& where);
std::vector<OptimizerVariable> read_keras3_optimizer(hid_t file, const std::string& where);

}  // namespace keras::internal
