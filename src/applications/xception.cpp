// Xception as keras/src/applications/xception.py builds it: the same layers, names and creation
// order (the residual 1x1 convolutions, their BatchNormalizations and the Adds keep Keras'
// default names), so Keras' weight files, which load by layer order, fit.
#include "keras/applications/xception.hpp"

#include "keras/layers/activation.hpp"
#include "keras/layers/add.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/max_pooling2d.hpp"
#include "keras/layers/separable_conv2d.hpp"

namespace keras::applications {

using namespace keras::layers;

namespace {

const char* const kWeightsUrl = "https://storage.googleapis.com/tensorflow/keras-applications/xception/";

KerasTensor bn(const KerasTensor& x, const std::string& name = "") {
  return BatchNormalization({.name = name})(x);
}

KerasTensor relu(const KerasTensor& x, const std::string& name) { return Activation("relu", {.name = name})(x); }

KerasTensor sepconv(const KerasTensor& x, std::int64_t filters, const std::string& name) {
  return SeparableConv2D(filters, 3, {.padding = "same", .use_bias = false, .name = name})(x);
}

// The strided 1x1 convolution and BatchNormalization of a downsampling block's shortcut.
KerasTensor shortcut(const KerasTensor& x, std::int64_t filters) {
  return bn(Conv2D(filters, 1, {.strides = 2, .padding = "same", .use_bias = false})(x));
}

// Blocks 2-4 and 13: (relu,) sepconv, BN, relu, sepconv, BN, max pool, plus the shortcut.
KerasTensor downsampling_block(const KerasTensor& in, int block, std::int64_t filters1, std::int64_t filters2,
                               bool first_relu) {
  const std::string p = "block" + std::to_string(block);
  const KerasTensor residual = shortcut(in, filters2);
  KerasTensor x = first_relu ? relu(in, p + "_sepconv1_act") : in;
  x = bn(sepconv(x, filters1, p + "_sepconv1"), p + "_sepconv1_bn");
  x = relu(x, p + "_sepconv2_act");
  x = bn(sepconv(x, filters2, p + "_sepconv2"), p + "_sepconv2_bn");
  x = MaxPooling2D(3, {.strides = 2, .padding = "same", .name = p + "_pool"})(x);
  return Add()({x, residual});
}

}  // namespace

Model Xception(ApplicationOptions o) {
  const Shape shape = internal::input_shape_for("Xception", o, 299, 71);
  const KerasTensor input = internal::image_input(o, shape);
  KerasTensor x = Conv2D(32, 3, {.strides = 2, .use_bias = false, .name = "block1_conv1"})(input);
  x = relu(bn(x, "block1_conv1_bn"), "block1_conv1_act");
  x = Conv2D(64, 3, {.use_bias = false, .name = "block1_conv2"})(x);
  x = relu(bn(x, "block1_conv2_bn"), "block1_conv2_act");

  x = downsampling_block(x, 2, 128, 128, /*first_relu=*/false);
  x = downsampling_block(x, 3, 256, 256, true);
  x = downsampling_block(x, 4, 728, 728, true);
  for (int block = 5; block <= 12; ++block) {  // the middle flow: eight identity blocks
    const std::string p = "block" + std::to_string(block);
    const KerasTensor residual = x;
    for (int k = 1; k <= 3; ++k) {
      const std::string s = p + "_sepconv" + std::to_string(k);
      x = bn(sepconv(relu(x, s + "_act"), 728, s), s + "_bn");
    }
    x = Add()({x, residual});
  }
  x = downsampling_block(x, 13, 728, 1024, true);

  x = relu(bn(sepconv(x, 1536, "block14_sepconv1"), "block14_sepconv1_bn"), "block14_sepconv1_act");
  x = relu(bn(sepconv(x, 2048, "block14_sepconv2"), "block14_sepconv2_bn"), "block14_sepconv2_act");
  x = internal::classifier_or_pooling(x, o, "avg_pool");
  const std::string file = o.include_top ? "xception_weights_tf_dim_ordering_tf_kernels.h5"
                                         : "xception_weights_tf_dim_ordering_tf_kernels_notop.h5";
  return internal::application_model(input, x, o, "xception", file, kWeightsUrl + file);
}

Tensor xception::preprocess_input(const Tensor& images) { return applications::preprocess_input(images, "tf"); }

}  // namespace keras::applications
