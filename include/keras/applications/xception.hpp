#pragma once
// keras.applications.Xception (Chollet, CVPR 2017): Keras' layers, names and order, so Keras'
// published xception_weights_tf_dim_ordering_tf_kernels[_notop].h5 load as they are.
#include "keras/applications/imagenet_utils.hpp"

namespace keras::applications {

// Default input 299x299x3, at least 71x71. 22,910,480 parameters with the top, 20,861,480 without.
Model Xception(ApplicationOptions options = {});

namespace xception {
// Pixels in [0, 255] to [-1, 1] (mode "tf"), as keras.applications.xception.preprocess_input.
Tensor preprocess_input(const Tensor& images);
}  // namespace xception

}  // namespace keras::applications
