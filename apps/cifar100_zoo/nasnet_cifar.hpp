#pragma once
// NASNet-A (Zoph et al., 2018) for CIFAR as the paper defines it, NASNet-A (6 @ 768): the
// authors' CIFAR network (TF-slim's build_nasnet_cifar, cifar_config): a stride-1 3x3 stem of
// 96 channels and BN, then three stages of six normal cells (32, 64, 128 filters per branch)
// with a reduction cell between stages, ReLU, global average pooling and a softmax. The cells
// are Keras' (keras::applications::nasnet_cells, the ones NASNetMobile uses), with the slim
// CIFAR model's batch normalization (decay 0.9, epsilon 1e-5) and weight decay on every
// kernel. Not built: the paper's auxiliary head and ScheduledDropPath, which only change
// training. The paper counts 3.3M parameters for CIFAR-10; this one has 3,328,234 trainable
// for 10 classes and 3,397,444 for 100 (the first cell's projection below is 3,136 of them).
#include "keras/applications/nasnet_cells.hpp"
#include "keras/keras.hpp"

namespace apps::zoo {

// `cells_per_stage`: the paper's N (6).
inline keras::Model make_nasnet_cifar(std::int64_t classes, int cells_per_stage, float l2) {
  using namespace keras::layers;
  namespace cells = keras::applications::nasnet_cells;
  const cells::CellStyle style{0.9f, 1e-5f, keras::regularizers::L2(l2)};
  const KerasTensor inputs = Input({32, 32, 3});
  KerasTensor x = Conv2D(96, 3, {.padding = "same", .use_bias = false, .kernel_initializer = "he_normal",
                                 .kernel_regularizer = style.kernel_regularizer, .name = "stem_conv1"})(inputs);
  x = BatchNormalization({.momentum = style.bn_momentum, .epsilon = style.bn_epsilon, .name = "stem_bn1"})(x);
  KerasTensor current = x;
  // The first cell's "previous" input is the stem too, so Keras' adjust block projects it to the
  // cell's width once (ReLU, 1x1, BN); slim instead projects it inside each operation that needs it.
  std::optional<KerasTensor> previous = x;
  std::int64_t filters = 32;
  auto take = [&](const cells::CellOutput& out) {
    current = out.x;
    previous = out.previous;
  };
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      filters *= 2;
      take(cells::reduction_cell(current, previous, filters, "reduce_" + std::to_string(stage * cells_per_stage), style));
    }
    for (int i = 0; i < cells_per_stage; ++i) {
      take(cells::normal_cell(current, previous, filters, std::to_string(stage == 0 ? i : stage * cells_per_stage + i + 1), style));
    }
  }
  x = GlobalAveragePooling2D()(Activation("relu")(current));
  const KerasTensor outputs = Dense(classes, {.activation = "softmax", .kernel_regularizer = style.kernel_regularizer})(x);
  return keras::Model(inputs, outputs, "nasnet_cifar");
}

}  // namespace apps::zoo
