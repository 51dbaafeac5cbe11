#pragma once
// keras.saving / keras.models.load_model: whole models from the files Model::save writes and
// real Keras writes — Keras 3's `.keras` archives and Keras 2's legacy `.h5` full-model files
// (tf.keras and Keras 2.0-2.15, Sequential, Model and Functional, with or without InputLayer).
#include <string>

#include "keras/models/model.hpp"

namespace keras::saving {

struct LoadModelOptions {
  // Compile with the saved optimizer, loss and metrics, and restore the optimizer's state
  // (training resumes where it stopped). Without it the model only predicts until compiled.
  bool compile = true;
};

// Unknown layer classes, broken graphs, missing groups, corrupt or truncated files and wrong
// dtypes raise an IOError naming the file and what is wrong.
Model load_model(const std::string& path, LoadModelOptions options = {});

// keras.models.model_from_json: the architecture Model::to_json (or Keras 2's or Keras 3's
// model.to_json()) wrote, with fresh weights and not compiled, as in Keras; load the weights
// with load_weights. Invalid JSON or an unknown layer is a ValueError saying which.
Model model_from_json(const std::string& json_string);

}  // namespace keras::saving

namespace keras::models {
using saving::load_model;
using saving::model_from_json;
using saving::LoadModelOptions;
}  // namespace keras::models
