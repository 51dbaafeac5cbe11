#include "legacy_weights_h5.hpp"

#include <map>

#include "hdf5_support.hpp"
#include "keras/core/errors.hpp"

namespace keras::internal {

namespace {

// Keras' _legacy_weights: trainable weights first, then the others.
std::vector<VariablePtr> legacy_order(const layers::Layer& layer) {
  auto weights = layer.trainable_weights();
  const auto frozen = layer.non_trainable_weights();
  weights.insert(weights.end(), frozen.begin(), frozen.end());
  return weights;
}

std::string describe(const layers::Layer& layer) {
  return "layer '" + layer.name() + "' (" + layer.class_name() + ")";
}

// The stored values of one layer group, in the order of its weight_names.
struct StoredLayer {
  std::string name;
  std::vector<std::string> weight_names;
};

std::vector<std::pair<VariablePtr, Tensor>> match_layer(hid_t group, const StoredLayer& stored,
                                                        const layers::Layer& layer, bool skip_mismatch,
                                                        const std::string& path) {
  const auto weights = legacy_order(layer);
  if (stored.weight_names.size() != weights.size()) {
    if (skip_mismatch) return {};
    throw IOError("load_weights: " + describe(layer) + " has " + std::to_string(weights.size()) +
                  " weights but '" + path + "' holds " + std::to_string(stored.weight_names.size()) +
                  " for layer '" + stored.name + "'");
  }
  Handle layer_group(H5Gopen2(group, stored.name.c_str(), H5P_DEFAULT), H5Gclose);
  // Keras matches by position in its trainable-first order, which for a nested model depends on
  // what was frozen when it was saved; when the stored names are exactly this layer's weights, the
  // names decide instead, so a base saved frozen loads into an unfrozen one.
  std::map<std::string, std::size_t> stored_index;
  for (std::size_t k = 0; k < stored.weight_names.size(); ++k) stored_index[stored.weight_names[k]] = k;
  std::vector<std::size_t> source(weights.size());
  bool by_names = stored_index.size() == weights.size();
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const auto it = stored_index.find(weights[k]->path() + ":0");
    by_names = by_names && it != stored_index.end();
    source[k] = by_names ? it->second : k;
  }
  if (!by_names) {
    for (std::size_t k = 0; k < weights.size(); ++k) source[k] = k;
  }
  std::vector<std::pair<VariablePtr, Tensor>> updates;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    const std::string& stored_name = stored.weight_names[source[k]];
    const std::string where = "load_weights: '" + path + "' dataset " + stored.name + "/" + stored_name;
    if (H5Lexists(layer_group.get(), stored_name.c_str(), H5P_DEFAULT) <= 0) {
      throw IOError(where + " is missing (its name is in weight_names)");
    }
    Handle data(H5Dopen2(layer_group.get(), stored_name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!data.valid()) throw IOError(where + " cannot be opened (corrupt file?)");
    std::vector<std::int64_t> dims;
    auto values = read_float_dataset(data.get(), dims, where);
    const Shape shape(dims);
    if (shape != weights[k]->shape()) {
      if (skip_mismatch) return {};
      throw IOError("load_weights: " + describe(layer) + " weight '" + weights[k]->name() + "' has shape " +
                    to_string(weights[k]->shape()) + " but '" + path + "' stores " + to_string(shape) + " in " +
                    stored.name + "/" + stored_name + " (pass skip_mismatch to leave it)");
    }
    updates.emplace_back(weights[k], Tensor::from_vector(values, shape));
  }
  return updates;
}

}  // namespace

bool is_legacy_weights_group(hid_t group) { return has_string_list(group, "layer_names"); }

void write_legacy_weights(hid_t group, const std::vector<layers::LayerPtr>& model_layers,
                          const std::string& where) {
  std::vector<std::string> names;
  for (const auto& l : model_layers) names.push_back(l->name());
  write_string_list(group, "layer_names", names, where);
  // "backend" names the weight conventions (channels-last, HWIO kernels): TensorFlow's.
  write_string_attribute(group, "backend", "tensorflow", where);
  write_string_attribute(group, "keras_version", "kerascpp 0.1.0", where);
  for (const auto& l : model_layers) {
    Handle layer_group(create_group(group, l->name(), where), H5Gclose);
    const auto weights = legacy_order(*l);
    std::vector<std::string> weight_names;
    // "<layer>/<weight>:0"; a nested model's weights keep their own layers' names, as in tf.keras.
    for (const auto& w : weights) weight_names.push_back(w->path() + ":0");
    write_string_list(layer_group.get(), "weight_names", weight_names, where);
    for (std::size_t k = 0; k < weights.size(); ++k) {
      const Tensor value = weights[k]->value().dtype() == float32 ? weights[k]->value() : weights[k]->value().astype(float32);
      write_float_dataset(layer_group.get(), weight_names[k], value.shape().dims(), value.to_vector<float>(), where);
    }
  }
  // Keras 3 adds the model's own (top-level) weights; ours has none, and readers expect it.
  Handle top(create_group(group, "top_level_model_weights", where), H5Gclose);
  write_string_list(top.get(), "weight_names", {}, where);
}

std::vector<std::pair<VariablePtr, Tensor>> read_legacy_weights(
    hid_t group, const std::vector<layers::LayerPtr>& model_layers, bool by_name, bool skip_mismatch,
    const std::string& path) {
  const std::string where = "load_weights: '" + path + "'";
  std::vector<StoredLayer> stored;
  for (const auto& name : read_string_list(group, "layer_names", where)) {
    if (H5Lexists(group, name.c_str(), H5P_DEFAULT) <= 0) {
      throw IOError(where + " names layer '" + name + "' in layer_names but has no group for it");
    }
    Handle layer_group(H5Gopen2(group, name.c_str(), H5P_DEFAULT), H5Gclose);
    auto weight_names = read_string_list(layer_group.get(), "weight_names", where + " group '" + name + "'");
    if (!weight_names.empty()) stored.push_back({name, std::move(weight_names)});
  }
  std::vector<std::pair<VariablePtr, Tensor>> updates;
  auto take = [&](std::vector<std::pair<VariablePtr, Tensor>> layer_updates) {
    updates.insert(updates.end(), layer_updates.begin(), layer_updates.end());
  };
  if (by_name) {
    std::map<std::string, const StoredLayer*> by;
    for (const auto& s : stored) by[s.name] = &s;
    for (const auto& l : model_layers) {
      if (l->weights().empty()) continue;
      const auto it = by.find(l->name());
      if (it != by.end()) take(match_layer(group, *it->second, *l, skip_mismatch, path));
    }
    return updates;
  }
  std::vector<layers::LayerPtr> with_weights;
  for (const auto& l : model_layers) {
    if (!l->weights().empty()) with_weights.push_back(l);
  }
  if (with_weights.size() != stored.size()) {
    throw IOError(where + " holds weights for " + std::to_string(stored.size()) + " layers but the model has " +
                  std::to_string(with_weights.size()) +
                  " layers with weights: it was saved from another architecture (by_name loads the "
                  "layers whose names match)");
  }
  for (std::size_t k = 0; k < stored.size(); ++k) take(match_layer(group, stored[k], *with_weights[k], skip_mismatch, path));
  return updates;
}

}  // namespace keras::internal
