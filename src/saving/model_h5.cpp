// Keras 2's legacy full-model file (keras/src/legacy/saving/legacy_h5_format.py; tf.keras'
// hdf5_format.py): root attributes model_config and training_config (JSON), keras_version and
// backend; the weights in "model_weights" (the legacy weights layout); the optimizer's variables
// in "optimizer_weights" (attribute weight_names, one dataset per name).
#include <hdf5.h>

#include "hdf5_support.hpp"
#include "keras3_weights_h5.hpp"
#include "legacy_weights_h5.hpp"
#include "model_config.hpp"
#include "model_files.hpp"
#include "optimizer_state.hpp"
#include "training_config.hpp"

namespace keras::internal {

void save_model_h5(const ModelState& st, const std::string& path) {
  const std::string where = "save: " + path;
  const std::string model_config = model_to_config(st, ConfigStyle::keras2).dump();
  write_hdf5_atomically(path, "save", [&](hid_t file) {
    write_string_attribute(file, "backend", "tensorflow", where);
    write_string_attribute(file, "keras_version", kProducer, where);
    write_utf8_attribute(file, "model_config", model_config, where);
    const TrainingState& t = st.training;
    if (t.compiled) write_utf8_attribute(file, "training_config", training_config(t, ConfigStyle::keras2).dump(), where);
    Handle weights(create_group(file, "model_weights", where), H5Gclose);
    write_legacy_weights(weights.get(), saved_layers(st), where);
    if (t.compiled && t.optimizer->built()) {
      Handle group(create_group(file, "optimizer_weights", where), H5Gclose);
      const auto variables = optimizer_variables(*t.optimizer);
      std::vector<std::string> names;
      for (const auto& v : variables) names.push_back(v.name);
      write_string_list(group.get(), "weight_names", names, where);
      for (const auto& v : variables) write_optimizer_dataset(group.get(), v.name, v, where);
    }
  });
}

namespace {

std::string json_attribute(hid_t file, const char* name, const std::string& path) {
  const auto list = read_string_list(file, name, "load_model: '" + path + "'");
  if (list.size() != 1) throw IOError("load_model: '" + path + "': attribute " + name + " is not a single string");
  return list.front();
}

std::vector<OptimizerVariable> read_optimizer_weights(hid_t file, const std::string& path) {
  Handle group(H5Gopen2(file, "optimizer_weights", H5P_DEFAULT), H5Gclose);
  const std::string where = "load_model: '" + path + "' optimizer_weights";
  if (!group.valid()) throw IOError(where + " cannot be opened");
  std::vector<OptimizerVariable> saved;
  for (const auto& name : read_string_list(group.get(), "weight_names", where)) {
    Handle data(H5Dopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!data.valid()) throw IOError(where + " lists '" + name + "' but has no such dataset");
    saved.push_back(read_optimizer_dataset(data.get(), name, where + "/" + name));
  }
  return saved;
}

}  // namespace

Model load_model_h5(const std::string& path, bool compile) {
  Handle file(open_hdf5_for_reading(path, "load_model"), H5Fclose);
  if (!has_string_list(file.get(), "model_config")) {
    throw IOError("load_model: '" + path + "' has no model_config: it holds weights only; build the model in code "
                  "and call load_weights");
  }
  const auto config = parse_json(json_attribute(file.get(), "model_config", path), "'" + path + "' model_config");
  Model model = model_from_file_config(config, path);
  const ModelState& st = state_of(model);
  if (H5Lexists(file.get(), "model_weights", H5P_DEFAULT) <= 0) {
    throw IOError("load_model: '" + path + "' has no model_weights group (truncated or not a Keras model file)");
  }
  Handle group(H5Gopen2(file.get(), "model_weights", H5P_DEFAULT), H5Gclose);
  if (!group.valid() || !is_legacy_weights_group(group.get())) {
    throw IOError("load_model: '" + path + "': model_weights has no layer_names");
  }
  for (auto& [variable, value] : read_legacy_weights(group.get(), saved_layers(st), false, false, path)) {
    variable->assign(value);
  }
  if (compile && has_string_list(file.get(), "training_config")) {
    const auto training = parse_json(json_attribute(file.get(), "training_config", path), "'" + path + "' training_config");
    compile_loaded_model(model, training, path);
    if (H5Lexists(file.get(), "optimizer_weights", H5P_DEFAULT) > 0) {
      restore_optimizer_variables(*model.optimizer(), model.trainable_weights(), read_optimizer_weights(file.get(), path),
                                  "load_model: '" + path + "'");
    }
  }
  return model;
}

}  // namespace keras::internal
