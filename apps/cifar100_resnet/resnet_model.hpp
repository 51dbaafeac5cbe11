#pragma once
// Seed 002's ResNet ("ModifyNet"): a stem Conv2D 128 (3x3, same) -> BatchNormalization -> ReLU
// -> Dropout 0.5; four stages of two residual blocks (filters 128, 256, 512, 1024, the first
// block of each new stage with stride 2); global average pooling; Dense softmax. Each block
// (conv_shortcut=True in the document's code): Conv 3x3 (stride) -> BN -> ReLU -> Conv 3x3 ->
// BN, plus a 1x1 Conv (stride) -> BN shortcut, Add, ReLU. 46,203,236 parameters, the
// document's count, for 100 classes.
#include <string>

#include "keras/keras.hpp"

namespace apps {

inline keras::layers::KerasTensor resnet_block(const keras::layers::KerasTensor& x, std::int64_t filters,
                                               std::int64_t stride) {
  using namespace keras::layers;
  KerasTensor shortcut = Conv2D(filters, 1, {.strides = stride})(x);
  shortcut = BatchNormalization()(shortcut);
  KerasTensor y = Conv2D(filters, 3, {.strides = stride, .padding = "same"})(x);
  y = BatchNormalization()(y);
  y = Activation("relu")(y);
  y = Conv2D(filters, 3, {.padding = "same"})(y);
  y = BatchNormalization()(y);
  y = Add()({y, shortcut});
  return Activation("relu")(y);
}

inline keras::Model make_resnet(std::int64_t classes = 100, std::int64_t filters = 128) {
  using namespace keras::layers;
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = Conv2D(filters, 3, {.padding = "same"})(inputs);
  x = BatchNormalization()(x);
  x = Activation("relu")(x);
  x = Dropout(0.5f)(x);
  for (int stage = 0; stage < 4; ++stage) {
    for (int block = 0; block < 2; ++block) {
      x = resnet_block(x, filters << stage, stage > 0 && block == 0 ? 2 : 1);
    }
  }
  x = GlobalAveragePooling2D()(x);
  return keras::Model(inputs, Dense(classes, {.activation = "softmax"})(x), "ModifyNet");
}

}  // namespace apps
