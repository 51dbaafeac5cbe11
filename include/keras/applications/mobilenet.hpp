#pragma once
// keras.applications.MobileNet (Howard et al., 2017): Keras' layer names and order, so Keras'
// published mobilenet_<alpha>_<rows>_tf[_no_top].h5 load as they are.
#include "keras/applications/imagenet_utils.hpp"

namespace keras::applications {

// Default input 224x224x3, at least 32x32; options.alpha (0.25, 0.5, 0.75 or 1.0 for Keras'
// files), depth_multiplier and dropout as in Keras. 4,253,864 parameters at alpha 1 with the top.
Model MobileNet(ApplicationOptions options = {});

namespace mobilenet {
// Pixels in [0, 255] to [-1, 1] (mode "tf").
Tensor preprocess_input(const Tensor& images);
}  // namespace mobilenet

}  // namespace keras::applications
