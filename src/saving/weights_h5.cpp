// Model::save_weights / load_weights. The suffix picks the layout written, as in Keras:
// `.weights.h5` is Keras 3's (keras/src/saving/saving_lib.py, H5IOStore: one group per layer
// under "layers", named by the snake_case class name made unique within the model ("dense",
// "dense_1"), holding "vars" (attribute "name": the layer's name) with datasets "0", "1", ...
// in the layer's weight order; the model's own "vars" group at the root); any other `.h5` is
// Keras 2's (legacy_weights_h5.hpp). A nested model's group holds its own "layers" and "vars", as
// the root does. Loading recognizes either layout whatever the name.
#include <hdf5.h>

#include <map>

#include "keras/models/model.hpp"
#include "keras/models/nested_model.hpp"
#include "keras3_weights_h5.hpp"
#include "legacy_weights_h5.hpp"
#include "model_files.hpp"

namespace keras {

using internal::Handle;

namespace internal {

std::vector<layers::LayerPtr> saved_layers(const ModelState& st) {
  return st.class_name == "Sequential" ? st.sequential_layers : keras_layer_order(st, /*with_inputs=*/true);
}

namespace {

// Keras' group names for the model's layers, in the model's layer order.
std::vector<std::string> group_names(const std::vector<layers::LayerPtr>& ls) {
  std::map<std::string, int> seen;
  std::vector<std::string> names;
  for (const auto& l : ls) {
    const std::string base = layers::snake_case(l->class_name());
    const int n = seen[base]++;
    names.push_back(n == 0 ? base : base + "_" + std::to_string(n));
  }
  return names;
}

}  // namespace

namespace {

const ModelState* nested_state(const layers::Layer& layer) {
  const auto* nested = dynamic_cast<const NestedModel*>(&layer);
  return nested != nullptr ? &state_of(nested->model()) : nullptr;
}

// One model's "layers/..." and "vars" inside `group`: the file's root, or a nested model's group.
void write_model_group(hid_t group, const ModelState& st, const std::string& path) {
  const auto ls = saved_layers(st);
  const auto names = group_names(ls);
  Handle layers_group(create_group(group, "layers", path), H5Gclose);
  for (std::size_t i = 0; i < ls.size(); ++i) {
    Handle layer_group(create_group(layers_group.get(), names[i], path), H5Gclose);
    if (const ModelState* inner = nested_state(*ls[i])) {
      write_model_group(layer_group.get(), *inner, path);
      continue;
    }
    Handle vars(create_group(layer_group.get(), "vars", path), H5Gclose);
    write_utf8_attribute(vars.get(), "name", ls[i]->name(), path);
    const auto weights = ls[i]->weights();
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const Tensor value = weights[k]->value().dtype() == float32 ? weights[k]->value() : weights[k]->value().astype(float32);
      write_float_dataset(vars.get(), std::to_string(k), value.shape().dims(), value.to_vector<float>(), path);
    }
  }
  Handle model_vars(create_group(group, "vars", path), H5Gclose);
  write_utf8_attribute(model_vars.get(), "name", st.name, path);
}

// `prefix` is where this model's groups are: "" at the root, "layers/functional/" when nested.
void read_model_group(hid_t file, const std::string& prefix, const ModelState& st, bool skip_mismatch,
                      const std::string& path, std::vector<std::pair<VariablePtr, Tensor>>& updates) {
  const auto ls = saved_layers(st);
  const auto names = group_names(ls);
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto weights = ls[i]->weights();
    const std::string layer_path = prefix + "layers/" + names[i];
    const ModelState* inner = nested_state(*ls[i]);
    const std::string vars_path = layer_path + "/vars";
    const bool present = H5Lexists(file, (prefix + "layers").c_str(), H5P_DEFAULT) > 0 &&
                         H5Lexists(file, layer_path.c_str(), H5P_DEFAULT) > 0 &&
                         H5Lexists(file, (inner ? layer_path + "/layers" : vars_path).c_str(), H5P_DEFAULT) > 0;
    if (!present) {
      if (weights.empty() || skip_mismatch) continue;
      throw IOError("load_weights: '" + path + "' has no group '" + (inner ? layer_path + "/layers" : vars_path) +
                    "' for layer '" + ls[i]->name() + "' (" + ls[i]->class_name() +
                    "); the file was saved from another architecture");
    }
    if (inner != nullptr) {
      read_model_group(file, layer_path + "/", *inner, skip_mismatch, path, updates);
      continue;
    }
    Handle vars(H5Gopen2(file, vars_path.c_str(), H5P_DEFAULT), H5Gclose);
    H5G_info_t info{};
    H5Gget_info(vars.get(), &info);
    if (info.nlinks != weights.size()) {
      if (skip_mismatch) continue;
      throw IOError("load_weights: layer '" + ls[i]->name() + "' (" + ls[i]->class_name() + ") has " +
                    std::to_string(weights.size()) + " weights but '" + path + "' holds " +
                    std::to_string(info.nlinks) + " in " + vars_path);
    }
    std::vector<std::pair<VariablePtr, Tensor>> layer_updates;
    bool fits = true;
    for (std::size_t k = 0; k < weights.size() && fits; ++k) {
      const std::string dataset = vars_path + "/" + std::to_string(k);
      Handle data(H5Dopen2(vars.get(), std::to_string(k).c_str(), H5P_DEFAULT), H5Dclose);
      if (!data.valid()) throw IOError("load_weights: '" + path + "' lacks " + dataset);
      std::vector<std::int64_t> dims;
      const auto host = read_float_dataset(data.get(), dims, "load_weights: " + dataset + " in '" + path + "'");
      const Shape stored(dims);
      if (stored != weights[k]->shape()) {
        if (skip_mismatch) {
          fits = false;
          break;
        }
        throw IOError("load_weights: layer '" + ls[i]->name() + "' weight '" + weights[k]->name() + "' has shape " +
                      to_string(weights[k]->shape()) + " but '" + path + "' stores " + to_string(stored) + " in " +
                      dataset + " (pass skip_mismatch to leave it)");
      }
      layer_updates.emplace_back(weights[k], Tensor::from_vector(host, stored));
    }
    if (fits) updates.insert(updates.end(), layer_updates.begin(), layer_updates.end());
  }
}

}  // namespace

void write_keras3_weights(hid_t file, const ModelState& st, const std::string& path) {
  write_model_group(file, st, path);
}

std::vector<std::pair<VariablePtr, Tensor>> read_keras3_weights(hid_t file, const ModelState& st, bool skip_mismatch,
                                                                const std::string& path) {
  if (H5Lexists(file, "layers", H5P_DEFAULT) <= 0) {
    throw IOError("load_weights: '" + path + "' has no 'layers' group: not a Keras 3 weights file");
  }
  // Read everything first: a file that does not fit leaves the model untouched.
  std::vector<std::pair<VariablePtr, Tensor>> updates;
  read_model_group(file, "", st, skip_mismatch, path, updates);
  return updates;
}

}  // namespace internal

void Model::save_weights(const std::string& path) const {
  if (!path.ends_with(".weights.h5")) {
    if (!path.ends_with(".h5") && !path.ends_with(".hdf5")) {
      throw ValueError("save_weights: '" + path + "' must end in .weights.h5 (Keras 3's layout) or .h5 "
                       "(Keras 2's layout)");
    }
    internal::write_hdf5_atomically(path, "save_weights", [&](hid_t file) {
      internal::write_legacy_weights(file, internal::saved_layers(state()), "save_weights: " + path);
    });
    return;
  }
  internal::write_hdf5_atomically(path, "save_weights",
                                  [&](hid_t file) { internal::write_keras3_weights(file, state(), path); });
}

void Model::load_weights(const std::string& path, LoadWeightsOptions o) {
  if (path.ends_with(".keras")) {
    if (o.by_name) throw ValueError("load_weights: by_name needs Keras 2's .h5 layout; '" + path + "' is a .keras archive");
    internal::load_keras_archive_weights(state(), path, o.skip_mismatch);
    return;
  }
  Handle file(internal::open_hdf5_for_reading(path, "load_weights"), H5Fclose);
  const auto ls = internal::saved_layers(state());
  // Keras 2: layer_names at the root, or in "model_weights" of a full-model file.
  const bool legacy_at_root = internal::is_legacy_weights_group(file.get());
  const bool has_layers = H5Lexists(file.get(), "layers", H5P_DEFAULT) > 0;
  if (legacy_at_root || (!has_layers && H5Lexists(file.get(), "model_weights", H5P_DEFAULT) > 0)) {
    Handle group(H5Gopen2(file.get(), legacy_at_root ? "/" : "model_weights", H5P_DEFAULT), H5Gclose);
    if (!internal::is_legacy_weights_group(group.get())) {
      throw IOError("load_weights: '" + path + "' has a 'model_weights' group without layer_names: not a Keras "
                    "weights file");
    }
    for (auto& [variable, value] : internal::read_legacy_weights(group.get(), ls, o.by_name, o.skip_mismatch, path)) {
      variable->assign(value);
    }
    return;
  }
  if (!has_layers) {
    throw IOError("load_weights: '" + path + "' has neither a 'layers' group (Keras 3) nor layer_names (Keras 2): "
                  "not a Keras weights file");
  }
  if (o.by_name) {
    throw ValueError("load_weights: by_name needs Keras 2's .h5 layout; '" + path +
                     "' is Keras 3's, whose layers are matched by position (as Keras does)");
  }
  for (auto& [variable, value] : internal::read_keras3_weights(file.get(), state(), o.skip_mismatch, path)) {
    variable->assign(value);
  }
}

}  // namespace keras
