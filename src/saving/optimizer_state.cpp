#include "optimizer_state.hpp"

#include <iostream>
#include <map>
#include <optional>

#include "hdf5_support.hpp"
#include "keras/layers/layer.hpp"
#include "keras/optimizers/loss_scale_optimizer.hpp"

namespace keras::internal {

std::vector<OptimizerVariable> optimizer_variables(const optimizers::Optimizer& wrapped) {
  const optimizers::Optimizer& optimizer = optimizers::saved_optimizer(wrapped);
  const std::string prefix = layers::snake_case(optimizer.name()) + "/";
  std::vector<OptimizerVariable> list;
  list.push_back({prefix + "iteration", Tensor(), static_cast<double>(optimizer.iterations()), true});
  // Keras 3 keeps a learning_rate variable only for a fixed rate; a schedule is in the config.
  const auto& schedule = optimizer.learning_rate_schedule();
  if (!schedule || schedule->class_name().empty()) {
    list.push_back({prefix + "learning_rate", Tensor(), optimizer.learning_rate(), false});
  }
  const auto& slots = optimizer.variables();
  for (std::size_t i = 0; i < slots.size(); ++i) list.push_back({prefix + "slot_" + std::to_string(i), slots[i], 0.0, false});
  return list;
}

namespace {

// The slot kind in a tf.keras OptimizerV2 variable name: "Adam/dense/kernel/m:0" -> "m".
std::string slot_kind(const std::string& name) {
  const std::size_t slash = name.rfind('/'), colon = name.rfind(':');
  if (slash == std::string::npos || colon == std::string::npos || colon < slash) return {};
  return name.substr(slash + 1, colon - slash - 1);
}

// tf.keras' OptimizerV2 (tf.keras 2.0-2.10, and the `legacy` optimizers of 2.11-2.15, which
// tf.keras 2.15 reads legacy .h5 files into) lists "<Opt>/iter:0" and then its slots kind by
// kind: every variable's "m", then every "v" (then AMSGrad's "vhat"). Keras 3 and tf.keras
// 2.11+ interleave Adam's and Nadam's m and v per variable; RMSprop, SGD and Adagrad list kind by
// kind in both. Returns the saved list reordered to this optimizer's slot order, or nothing when
// the names are not that layout.
std::optional<std::vector<OptimizerVariable>> from_optimizer_v2_layout(const optimizers::Optimizer& optimizer,
                                                                      const std::vector<OptimizerVariable>& saved,
                                                                      std::size_t variables) {
  if (saved.empty() || !saved[0].name.ends_with("/iter:0") || variables == 0) return std::nullopt;
  std::vector<std::string> kinds;
  std::map<std::string, std::vector<std::size_t>> of_kind;
  for (std::size_t i = 1; i < saved.size(); ++i) {
    const std::string kind = slot_kind(saved[i].name);
    if (kind.empty() || saved[i].is_scalar()) return std::nullopt;
    if (!of_kind.count(kind)) kinds.push_back(kind);
    of_kind[kind].push_back(i);
  }
  for (const auto& kind : kinds) {
    if (of_kind[kind].size() != variables) return std::nullopt;
  }
  std::vector<OptimizerVariable> ordered{saved[0]};
  const bool interleaved = optimizer.name() == "Adam" || optimizer.name() == "AdamW";
  if (interleaved && kinds.size() >= 2 && kinds[0] == "m" && kinds[1] == "v") {
    for (std::size_t i = 0; i < variables; ++i) {
      ordered.push_back(saved[of_kind["m"][i]]);
      ordered.push_back(saved[of_kind["v"][i]]);
    }
    for (std::size_t k = 2; k < kinds.size(); ++k) {
      for (std::size_t index : of_kind[kinds[k]]) ordered.push_back(saved[index]);
    }
  } else if (!interleaved && optimizer.name() != "Nadam") {
    ordered.insert(ordered.end(), saved.begin() + 1, saved.end());
  } else {
    return std::nullopt;  // Nadam's momentum cache is kept elsewhere in that layout
  }
  return ordered;
}

}  // namespace

void restore_optimizer_variables(optimizers::Optimizer& wrapped, const std::vector<VariablePtr>& trainable,
                                 const std::vector<OptimizerVariable>& given, const std::string& where) {
  wrapped.build_for(trainable);
  optimizers::Optimizer& optimizer = optimizers::saved_optimizer(wrapped);
  optimizer.build_for(trainable);
  const std::size_t slots = optimizer.variables().size();
  const auto reordered = from_optimizer_v2_layout(optimizer, given, trainable.size());
  const std::vector<OptimizerVariable>& saved = reordered ? *reordered : given;
  std::size_t first_slot = 0;
  if (saved.size() == slots + 2 && saved[1].is_scalar() && saved[1].name.ends_with("learning_rate")) {
    first_slot = 2;  // Keras 3: iteration, learning_rate, slots
  } else if (saved.size() == slots + 1) {
    first_slot = 1;  // tf.keras: iteration, slots
  }
  try {
    if (first_slot == 0 || !saved[0].is_scalar()) {
      throw ValueError("the file holds " + std::to_string(saved.size()) + " optimizer variables, " + optimizer.name() +
                       " has " + std::to_string(slots) + " slots plus its step counter");
    }
    if (!(saved[0].scalar >= 0.0 && saved[0].scalar < 9.0e15)) {
      throw ValueError("the saved step counter " + std::to_string(saved[0].scalar) + " is not a step count");
    }
    std::vector<Tensor> values;
    for (std::size_t i = first_slot; i < saved.size(); ++i) {
      // A scalar slot (Nadam's momentum product) comes back as a one-element dataset.
      values.push_back(saved[i].is_scalar() ? Tensor::full({}, static_cast<float>(saved[i].scalar)) : saved[i].value);
    }
    optimizer.restore(static_cast<std::int64_t>(saved[0].scalar), values);
    if (first_slot == 2 && !optimizer.has_schedule()) optimizer.set_learning_rate(saved[1].scalar);
  } catch (const ValueError& e) {
    // tf.keras 2.15 and Keras 3 also start fresh when a saved list does not fit the optimizer
    // ("Error in loading the saved optimizer state"); what they restore, this restores.
    const bool v2_nadam = !given.empty() && given[0].name.ends_with("/iter:0") && optimizer.name() == "Nadam";
    std::cerr << "WARNING: " << where << ": the saved optimizer state does not fit " << optimizer.name() << " (" << e.what()
              << "); the optimizer starts fresh"
              << (v2_nadam ? " (tf.keras 2.15 restores this OptimizerV2 Nadam state; kerascpp does not read that layout)\n"
                           : ", as tf.keras and Keras 3 do with a list that does not fit\n");
  }
}

OptimizerVariable read_optimizer_dataset(hid_t dataset, const std::string& name, const std::string& where) {
  Handle space(H5Dget_space(dataset), H5Sclose);
  OptimizerVariable v{name, Tensor(), 0.0, false};  // `integer` matters only when writing
  if (H5Sget_simple_extent_ndims(space.get()) == 0) {
    v.scalar = read_scalar_dataset(dataset, where);
  } else {
    std::vector<std::int64_t> dims;
    auto values = read_float_dataset(dataset, dims, where);
    v.value = Tensor::from_vector(values, Shape(dims));
  }
  return v;
}

void write_optimizer_dataset(hid_t parent, const std::string& name, const OptimizerVariable& v, const std::string& where) {
  if (v.is_scalar()) {
    write_scalar_dataset(parent, name, v.scalar, v.integer, where);
  } else {
    write_float_dataset(parent, name, v.value.shape().dims(), v.value.to_vector<float>(), where);
  }
}

void write_keras3_optimizer(hid_t file, const optimizers::Optimizer& optimizer, const std::string& where) {
  Handle group(create_group(file, "optimizer", where), H5Gclose);
  Handle vars(create_group(group.get(), "vars", where), H5Gclose);
  write_utf8_attribute(vars.get(), "name", layers::snake_case(optimizer.name()), where);
  const auto variables = optimizer_variables(optimizer);
  for (std::size_t i = 0; i < variables.size(); ++i) write_optimizer_dataset(vars.get(), std::to_string(i), variables[i], where);
}

std::vector<OptimizerVariable> read_keras3_optimizer(hid_t file, const std::string& where) {
  Handle vars(H5Gopen2(file, "optimizer/vars", H5P_DEFAULT), H5Gclose);
  if (!vars.valid()) throw IOError(where + ": optimizer/vars cannot be opened");
  H5G_info_t info{};
  if (H5Gget_info(vars.get(), &info) < 0) throw IOError(where + ": optimizer/vars is unreadable");
  std::vector<OptimizerVariable> saved;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const std::string name = std::to_string(i);
    Handle data(H5Dopen2(vars.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!data.valid()) throw IOError(where + ": optimizer/vars lacks the dataset " + name);
    // Keras 3 lists iteration and learning_rate first.
    saved.push_back(read_optimizer_dataset(data.get(), i == 0 ? "iteration" : i == 1 ? "learning_rate" : name,
                                           where + ": optimizer/vars/" + name));
  }
  return saved;
}

}  // namespace keras::internal
