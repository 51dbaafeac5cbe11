#pragma once
// keras.applications.DenseNet121 (Huang et al., CVPR 2017): Keras' layer names (with their '/')
// and order, so Keras' published densenet121_weights_tf_dim_ordering_tf_kernels[_notop].h5 load
// as they are.
#include "keras/applications/imagenet_utils.hpp"

namespace keras::applications {

// Default input 224x224x3, at least 32x32. 8,062,504 parameters with the top, 7,037,504 without.
Model DenseNet121(ApplicationOptions options = {});

namespace densenet {
// Keras' "torch" mode: pixels to [0, 1], standardized with ImageNet's mean and std.
Tensor preprocess_input(const Tensor& images);
}  // namespace densenet

}  // namespace keras::applications
