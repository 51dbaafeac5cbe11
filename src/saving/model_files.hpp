#pragma once
// The two whole-model formats behind Model::save and load_model: Keras 2's legacy `.h5`
// (model_h5.cpp) and Keras 3's `.keras` zip archive (keras_archive.cpp).
#include <nlohmann/json.hpp>
#include <string>

#include "../models/model_state.hpp"
#include "keras/models/model.hpp"

namespace keras::internal {

void save_model_h5(const ModelState& state, const std::string& path);
Model load_model_h5(const std::string& path, bool compile);

void save_keras_archive(const ModelState& state, const std::string& path);
// The archive's config.json (Keras 3's serialize_keras_object of the model), also to_json's text.
nlohmann::json archive_config(const ModelState& state);
Model load_keras_archive(const std::string& path, bool compile);
// Model::load_weights on a `.keras` archive: its weights into `state`'s layers, by position.
void load_keras_archive_weights(ModelState& state, const std::string& path, bool skip_mismatch);

// The model a file's config describes; config errors become IOErrors naming `path`.
Model model_from_file_config(const nlohmann::json& config, const std::string& path);

// What both readers do once the architecture is built: compile from the saved config and
// restore the optimizer variables. Errors name `path`.
void compile_loaded_model(Model& model, const nlohmann::json& compile_config, const std::string& path);

// The library's version as written into files' keras_version / metadata.
inline const char* kProducer = "kerascpp 0.1.0";

}  // namespace keras::internal
