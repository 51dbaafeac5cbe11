#pragma once
// keras.applications.MobileNetV2 (Sandler et al., CVPR 2018): Keras' layer names and order, so
// Keras' published mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<alpha>_<rows>[_no_top].h5
// load as they are.
#include "keras/applications/imagenet_utils.hpp"

namespace keras::applications {

// Default input 224x224x3, at least 32x32; options.alpha as in Keras (0.35, 0.5, 0.75, 1.0, 1.3
// or 1.4 for Keras' files). 3,538,984 parameters at alpha 1 with the top.
Model MobileNetV2(ApplicationOptions options = {});

namespace mobilenet_v2 {
// Pixels in [0, 255] to [-1, 1] (mode "tf").
Tensor preprocess_input(const Tensor& images);
}  // namespace mobilenet_v2

}  // namespace keras::applications
