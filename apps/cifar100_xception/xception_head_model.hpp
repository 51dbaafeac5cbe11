#pragma once
// Seed 002's second model: CIFAR images resized to 71x71 (Xception's smallest input) and scaled
// to [-1, 1] as xception.preprocess_input does, Keras' Xception without its top (ImageNet weights
// when the user brings Keras' file), global average pooling, Dense 512 ReLU, Dropout 0.5 and a
// Dense softmax. 21,961,868 parameters for 100 classes, the document's count.
//
// The resizing and scaling are the model's first layers rather than a pass over the data: the
// same arithmetic (Resizing is bilinear, as tf.image.resize), without a 3 GB copy of the training
// set at 71x71, and a saved model takes the 32x32 images as they come (pixels / 255).
#include <string>

#include "keras/keras.hpp"

namespace apps {

struct XceptionHead {
  keras::Model base;   // the nested Xception, frozen and unfrozen by the app
  keras::Model model;  // what is trained
};

inline XceptionHead make_xception_head(std::int64_t classes = 100, const std::string& base_weights = "") {
  using namespace keras::layers;
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = Resizing(71, 71)(inputs);
  x = Rescaling(2.0f, {.offset = -1.0f})(x);  // pixels / 255 to [-1, 1]: (255 x) / 127.5 - 1
  keras::Model base = keras::applications::Xception(
      {.include_top = false, .weights = base_weights, .input_shape = keras::Shape{71, 71, 3}});
  x = GlobalAveragePooling2D()(base(x));
  x = Dense(512, {.activation = "relu"})(x);
  x = Dropout(0.5f)(x);
  const KerasTensor outputs = Dense(classes, {.activation = "softmax"})(x);
  return {base, keras::Model(inputs, outputs, "xception_cifar")};
}

}  // namespace apps
