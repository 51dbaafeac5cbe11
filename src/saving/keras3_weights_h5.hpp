#pragma once
// Keras 3's weights layout (the `.weights.h5` files and the model.weights.h5 inside `.keras`
// archives), shared by save_weights / load_weights and the model files.
#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

#include "../models/model_state.hpp"
#include "hdf5_support.hpp"

namespace keras::internal {

// The layers Keras saves, in its order: a functional model's InputLayers too, a Sequential's not.
std::vector<layers::LayerPtr> saved_layers(const ModelState& st);
// "layers/<group>/vars/<k>" for every layer, and the model's own "vars".
void write_keras3_weights(hid_t file, const ModelState& st, const std::string& path);
// Reads them back without assigning (see Model::load_weights for the rules).
std::vector<std::pair<VariablePtr, Tensor>> read_keras3_weights(hid_t file, const ModelState& st, bool skip_mismatch,
                                                                const std::string& path);

}  // namespace keras::internal
