#pragma once
// keras.applications.NASNetMobile (Zoph et al., CVPR 2018, NASNet-A 4 @ 1056): Keras' cells,
// layer names and order, so Keras' published nasnet_mobile[_no_top].h5 load as they are.
#include "keras/applications/imagenet_utils.hpp"

namespace keras::applications {

// Default input 224x224x3, at least 32x32. 5,326,716 parameters with the top, 4,269,716 without.
Model NASNetMobile(ApplicationOptions options = {});

namespace nasnet {
// Pixels in [0, 255] to [-1, 1] (mode "tf").
Tensor preprocess_input(const Tensor& images);
}  // namespace nasnet

}  // namespace keras::applications
