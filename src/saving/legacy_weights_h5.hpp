#pragma once
// Keras 2's weights layout (keras/src/legacy/saving/legacy_h5_format.py, and tf.keras'
// hdf5_format.py before it): root attributes layer_names, backend, keras_version; one group per
// layer named by the layer, with attribute weight_names ("dense/kernel:0", ...) naming its
// datasets, weights in legacy order (trainable first, then non-trainable).
#include <hdf5.h>

#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.hpp"
#include "keras/core/variable.hpp"
#include "keras/layers/layer.hpp"

namespace keras::internal {

// Writes the layout into `group` (the file's root, or a full-model file's "model_weights").
void write_legacy_weights(hid_t group, const std::vector<layers::LayerPtr>& model_layers,
                          const std::string& where);

// The variables and values a legacy-layout `group` holds for these layers, matched by order
// (Keras' rule: layers with weights, in order) or by layer name; nothing is assigned. Mismatched
// counts or shapes are IOErrors naming layer, weight and both shapes, or skipped with
// skip_mismatch (by name: layers the file lacks are left as they are).
std::vector<std::pair<VariablePtr, Tensor>> read_legacy_weights(
    hid_t group, const std::vector<layers::LayerPtr>& model_layers, bool by_name,
    bool skip_mismatch, const std::string& path);

// True when `group` is laid out this way (it has layer_names).
bool is_legacy_weights_group(hid_t group);

}  // namespace keras::internal
