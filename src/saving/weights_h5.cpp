// Keras 3's weights file (keras/src/saving/saving_lib.py, H5IOStore): one group per layer under
// "layers", named by the snake_case class name made unique within the model ("dense",
// "dense_1"), holding "vars" (attribute "name": the layer's name) with datasets "0", "1", ...
// in the layer's weight order; the model's own "vars" group at the root.
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "../models/model_state.hpp"
#include "keras/models/model.hpp"

namespace keras {

namespace {

// An HDF5 identifier closed by the matching H5*close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// The layers Keras saves, in its order: a functional model's InputLayers too, a Sequential's not.
std::vector<layers::LayerPtr> saved_layers(const internal::ModelState& st, const std::vector<layers::LayerPtr>& ls) {
  return st.class_name == "Sequential" ? ls : internal::keras_layer_order(st, /*with_inputs=*/true);
}

// HDF5 prints its error stack by default; we report our own errors instead.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

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

void write_name_attribute(hid_t group, const std::string& value, const std::string& file) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(group, "name", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* text = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &text) < 0) {
    throw IOError(file + ": cannot write the attribute 'name'");
  }
}

hid_t create_group(hid_t parent, const std::string& name, const std::string& file) {
  const hid_t g = H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw IOError(file + ": cannot create the group '" + name + "'");
  return g;
}

}  // namespace

void Model::save_weights(const std::string& path) const {
  const std::string suffix = ".weights.h5";
  if (path.size() < suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    throw ValueError("save_weights: '" + path + "' must end in .weights.h5 (Keras 3's layout); the Keras 2 "
                     "layout of other .h5 names is not supported yet");
  }
  silence_hdf5();
  const std::filesystem::path target(path);
  const std::filesystem::path temporary =
      target.parent_path() / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()));
  {
    Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) throw IOError("save_weights: cannot create '" + temporary.string() + "' (does the folder exist?)");
    const auto ls = saved_layers(state(), layers());
    const auto names = group_names(ls);
    Handle layers_group(create_group(file.get(), "layers", path), H5Gclose);
    for (std::size_t i = 0; i < ls.size(); ++i) {
      Handle layer_group(create_group(layers_group.get(), names[i], path), H5Gclose);
      Handle vars(create_group(layer_group.get(), "vars", path), H5Gclose);
      write_name_attribute(vars.get(), ls[i]->name(), path);
      const auto weights = ls[i]->weights();
      for (std::size_t k = 0; k < weights.size(); ++k) {
        const Tensor value = weights[k]->value().dtype() == float32 ? weights[k]->value() : weights[k]->value().astype(float32);
        std::vector<hsize_t> dims(value.shape().dims().begin(), value.shape().dims().end());
        Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
        Handle data(H5Dcreate2(vars.get(), std::to_string(k).c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose);
        const auto host = value.to_vector<float>();
        if (!data.valid() || H5Dwrite(data.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.data()) < 0) {
          throw IOError("save_weights: cannot write weight '" + weights[k]->path() + "' to " + path);
        }
      }
    }
    Handle model_vars(create_group(file.get(), "vars", path), H5Gclose);
    write_name_attribute(model_vars.get(), name(), path);
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw IOError("save_weights: cannot flush " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) {
    std::filesystem::remove(temporary);
    throw IOError("save_weights: cannot rename '" + temporary.string() + "' to '" + path + "': " + error.message());
  }
}

void Model::load_weights(const std::string& path, LoadWeightsOptions o) {
  silence_hdf5();
  if (!std::filesystem::is_regular_file(path)) throw IOError("load_weights: '" + path + "' does not exist");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw IOError("load_weights: '" + path + "' is not an HDF5 file (truncated, or another format?)");
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) throw IOError("load_weights: cannot open '" + path + "' (corrupt HDF5?)");
  if (H5Lexists(file.get(), "layers", H5P_DEFAULT) <= 0) {
    const bool legacy = H5Aexists(file.get(), "layer_names") > 0;
    throw IOError("load_weights: '" + path + "' has no 'layers' group" +
                  (legacy ? std::string(": it is a Keras 2 weights file, whose layout is not supported yet")
                          : std::string(": not a Keras 3 weights file")));
  }
  const auto ls = saved_layers(state(), layers());
  const auto names = group_names(ls);
  // Read everything first: a file that does not fit leaves the model untouched.
  std::vector<std::pair<VariablePtr, Tensor>> updates;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto weights = ls[i]->weights();
    const std::string vars_path = "layers/" + names[i] + "/vars";
    if (H5Lexists(file.get(), ("layers/" + names[i]).c_str(), H5P_DEFAULT) <= 0 ||
        H5Lexists(file.get(), vars_path.c_str(), H5P_DEFAULT) <= 0) {
      if (weights.empty() || o.skip_mismatch) continue;
      throw IOError("load_weights: '" + path + "' has no group '" + vars_path + "' for layer '" + ls[i]->name() + "' (" +
                    ls[i]->class_name() + "); the file was saved from another architecture");
    }
    Handle vars(H5Gopen2(file.get(), vars_path.c_str(), H5P_DEFAULT), H5Gclose);
    H5G_info_t info{};
    H5Gget_info(vars.get(), &info);
    if (info.nlinks != weights.size()) {
      if (o.skip_mismatch) continue;
      throw IOError("load_weights: layer '" + ls[i]->name() + "' (" + ls[i]->class_name() + ") has " +
                    std::to_string(weights.size()) + " weights but '" + path + "' holds " +
                    std::to_string(info.nlinks) + " in " + vars_path);
    }
    std::vector<std::pair<VariablePtr, Tensor>> layer_updates;
    bool fits = true;
    for (std::size_t k = 0; k < weights.size() && fits; ++k) {
      Handle data(H5Dopen2(vars.get(), std::to_string(k).c_str(), H5P_DEFAULT), H5Dclose);
      if (!data.valid()) throw IOError("load_weights: '" + path + "' lacks " + vars_path + "/" + std::to_string(k));
      Handle space(H5Dget_space(data.get()), H5Sclose);
      const int rank = H5Sget_simple_extent_ndims(space.get());
      std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
      H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
      const Shape stored(std::vector<std::int64_t>(dims.begin(), dims.end()));
      if (stored != weights[k]->shape()) {
        if (o.skip_mismatch) {
          fits = false;
          break;
        }
        throw IOError("load_weights: layer '" + ls[i]->name() + "' weight '" + weights[k]->name() + "' has shape " +
                      to_string(weights[k]->shape()) + " but '" + path + "' stores " + to_string(stored) +
                      " (pass skip_mismatch to leave it)");
      }
      Handle type(H5Dget_type(data.get()), H5Tclose);
      if (H5Tget_class(type.get()) != H5T_FLOAT) {
        throw IOError("load_weights: " + vars_path + "/" + std::to_string(k) + " in '" + path +
                      "' is not floating-point data");
      }
      std::vector<float> host(static_cast<std::size_t>(stored.num_elements()));
      if (H5Dread(data.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.data()) < 0) {
        throw IOError("load_weights: cannot read " + vars_path + "/" + std::to_string(k) + " from '" + path + "'");
      }
      layer_updates.emplace_back(weights[k], Tensor::from_vector(host, stored));
    }
    if (fits) updates.insert(updates.end(), layer_updates.begin(), layer_updates.end());
  }
  for (auto& [variable, value] : updates) variable->assign(value);
}

}  // namespace keras
