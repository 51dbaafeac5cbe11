#pragma once
// keras.applications.ResNet50 (He et al., CVPR 2016, "v1" with the stride in the first 1x1
// convolution, as Keras builds it): Keras' layer names and order, so Keras' published
// resnet50_weights_tf_dim_ordering_tf_kernels[_notop].h5 load as they are.
#include "keras/applications/imagenet_utils.hpp"

namespace keras::applications {

// Default input 224x224x3, at least 32x32. 25,636,712 parameters with the top, 23,587,712 without.
Model ResNet50(ApplicationOptions options = {});

namespace resnet {
// Keras' "caffe" mode: RGB to BGR, minus ImageNet's BGR means (no scaling), as
// keras.applications.resnet.preprocess_input.
Tensor preprocess_input(const Tensor& images);
}  // namespace resnet

}  // namespace keras::applications
