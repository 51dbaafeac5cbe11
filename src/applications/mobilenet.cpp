// MobileNet as keras/src/applications/mobilenet.py builds it.
#include "keras/applications/mobilenet.hpp"

#include <cstdio>

#include "keras/layers/activation.hpp"
#include "keras/layers/batch_normalization.hpp"
#include "keras/layers/conv2d.hpp"
#include "keras/layers/depthwise_conv2d.hpp"
#include "keras/layers/dropout.hpp"
#include "keras/layers/global_average_pooling2d.hpp"
#include "keras/layers/re_lu.hpp"
#include "keras/layers/reshape.hpp"
#include "keras/layers/zero_padding2d.hpp"

namespace keras::applications {

using namespace keras::layers;

namespace {

const char* const kWeightsUrl = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/";

KerasTensor relu6(const KerasTensor& x, const std::string& name) { return ReLU({.max_value = 6.0f, .name = name})(x); }

// A depthwise 3x3 (zero-padded on the bottom and right when strided, as Keras does), then a
// pointwise 1x1, each with BatchNormalization and relu6.
KerasTensor depthwise_block(KerasTensor x, std::int64_t pointwise_filters, const ApplicationOptions& o,
                            std::int64_t stride, int block) {
  const std::string id = std::to_string(block);
  const auto filters = static_cast<std::int64_t>(static_cast<double>(pointwise_filters) * o.alpha);
  if (stride != 1) x = ZeroPadding2D(Padding2D{{0, 1}, {0, 1}}, {.name = "conv_pad_" + id})(x);
  x = DepthwiseConv2D(3, {.strides = stride, .padding = stride == 1 ? "same" : "valid",
                          .depth_multiplier = o.depth_multiplier, .use_bias = false, .name = "conv_dw_" + id})(x);
  x = relu6(BatchNormalization({.name = "conv_dw_" + id + "_bn"})(x), "conv_dw_" + id + "_relu");
  x = Conv2D(filters, 1, {.padding = "same", .use_bias = false, .name = "conv_pw_" + id})(x);
  return relu6(BatchNormalization({.name = "conv_pw_" + id + "_bn"})(x), "conv_pw_" + id + "_relu");
}

// Keras' file name part for alpha: "1_0", "7_5", "5_0", "2_5".
std::string alpha_text(double alpha) {
  return alpha == 1.0 ? "1_0" : alpha == 0.75 ? "7_5" : alpha == 0.5 ? "5_0" : "2_5";
}

}  // namespace

Model MobileNet(ApplicationOptions o) {
  if (o.alpha <= 0.0) throw ValueError("MobileNet: alpha must be positive, got " + std::to_string(o.alpha));
  // Keras takes a square input of 128, 160, 192 or 224 as the default size, 224 otherwise.
  std::int64_t default_size = 224;
  if (o.input_shape && o.input_shape->rank() == 3 && (*o.input_shape)[0] == (*o.input_shape)[1] &&
      ((*o.input_shape)[0] == 128 || (*o.input_shape)[0] == 160 || (*o.input_shape)[0] == 192)) {
    default_size = (*o.input_shape)[0];
  }
  const Shape shape = internal::input_shape_for("MobileNet", o, default_size, 32);
  const KerasTensor input = internal::image_input(o, shape);
  KerasTensor x = Conv2D(static_cast<std::int64_t>(32 * o.alpha), 3,
                         {.strides = 2, .padding = "same", .use_bias = false, .name = "conv1"})(input);
  x = relu6(BatchNormalization({.name = "conv1_bn"})(x), "conv1_relu");
  const struct {
    std::int64_t filters, stride;
  } blocks[] = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  for (int i = 0; i < 13; ++i) x = depthwise_block(x, blocks[i].filters, o, blocks[i].stride, i + 1);
  if (o.include_top) {
    x = GlobalAveragePooling2D({.keepdims = true})(x);
    x = Dropout(static_cast<float>(o.dropout), {.name = "dropout"})(x);
    x = Conv2D(o.classes, 1, {.padding = "same", .name = "conv_preds"})(x);
    x = Reshape(Shape{o.classes}, {.name = "reshape_2"})(x);
    x = Activation(o.classifier_activation, {.name = "predictions"})(x);
  } else {
    x = internal::feature_pooling(x, o);
  }
  char name[64];
  const std::string rows = shape[0] == Shape::kNone ? "None" : std::to_string(shape[0]);
  std::snprintf(name, sizeof name, "mobilenet_%0.2f_%s", o.alpha, rows.c_str());
  const std::string file_rows = shape[0] == shape[1] && (shape[0] == 128 || shape[0] == 160 || shape[0] == 192)
                                    ? std::to_string(shape[0])
                                    : "224";
  const std::string file = "mobilenet_" + alpha_text(o.alpha) + "_" + file_rows + (o.include_top ? "_tf.h5" : "_tf_no_top.h5");
  return internal::application_model(input, x, o, name, file, kWeightsUrl + file);
}

Tensor mobilenet::preprocess_input(const Tensor& images) { return applications::preprocess_input(images, "tf"); }

}  // namespace keras::applications
