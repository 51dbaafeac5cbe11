#include "optimizer_state.hpp"

#include <iostream>

#include "keras/layers/layer.hpp"

namespace keras::internal {

std::vector<OptimizerVariable> optimizer_variables(const optimizers::Optimizer& optimizer) {
  const std::string prefix = layers::snake_case(optimizer.name()) + "/";
  std::vector<OptimizerVariable> list;
  list.push_back({prefix + "iteration", Tensor(), static_cast<double>(optimizer.iterations()), true});
  list.push_back({prefix + "learning_rate", Tensor(), optimizer.learning_rate(), false});
  const auto& slots = optimizer.variables();
  for (std::size_t i = 0; i < slots.size(); ++i) list.push_back({prefix + "slot_" + std::to_string(i), slots[i], 0.0, false});
  return list;
}

void restore_optimizer_variables(optimizers::Optimizer& optimizer, const std::vector<VariablePtr>& trainable,
                                 const std::vector<OptimizerVariable>& saved, const std::string& where) {
  optimizer.build_for(trainable);
  const std::size_t slots = optimizer.variables().size();
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  std::size_t first_slot = 0;
  if (saved.size() == slots + 2 && saved[1].is_scalar() && ends_with(saved[1].name, "learning_rate")) {
    first_slot = 2;  // Keras 3: iteration, learning_rate, slots
  } else if (saved.size() == slots + 1) {
    first_slot = 1;  // tf.keras 2.11-2.15: iteration, slots
  }
  try {
    if (first_slot == 0 || !saved[0].is_scalar()) {
      throw ValueError("the file holds " + std::to_string(saved.size()) + " optimizer variables, " + optimizer.name() +
                       " has " + std::to_string(slots) + " slots plus its step counter");
    }
    std::vector<Tensor> values;
    for (std::size_t i = first_slot; i < saved.size(); ++i) {
      // A scalar slot (Nadam's momentum product) comes back as a one-element dataset.
      values.push_back(saved[i].is_scalar() ? Tensor::full({}, static_cast<float>(saved[i].scalar)) : saved[i].value);
    }
    optimizer.restore(static_cast<std::int64_t>(saved[0].scalar), values);
    if (first_slot == 2 && !optimizer.has_schedule()) optimizer.set_learning_rate(saved[1].scalar);
  } catch (const ValueError& e) {
    std::cerr << "WARNING: " << where << ": the saved optimizer state does not fit " << optimizer.name() << " (" << e.what()
              << "); the optimizer starts fresh, as Keras does in this case\n";
  }
}

}  // namespace keras::internal
