// Parameter counts of the source documents' CIFAR-100 CNNs, with Keras' arithmetic written
// out: Conv2D has kh*kw*in*filters + filters, Dense in*units + units.
#include <doctest/doctest.h>

#include "apps/cifar100_cnn/cnn_model.hpp"
#include "apps/cifar100_vgg9/vgg9_model.hpp"
#include "keras/keras.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("seed 004's VGG9 has exactly 13,870,484 trainable parameters") {
  Sequential model = apps::make_vgg9();
  const std::int64_t convs = (3 * 3 * 3 * 128 + 128) + (3 * 3 * 128 * 128 + 128) +
                             (3 * 3 * 128 * 256 + 256) + (3 * 3 * 256 * 256 + 256) +
                             (3 * 3 * 256 * 512 + 512) + (3 * 3 * 512 * 512 + 512);
  const std::int64_t dense = (4 * 4 * 512 * 1000 + 1000) + (1000 * 1000 + 1000) + (1000 * 100 + 100);
  CHECK(convs + dense == 13870484);
  CHECK(model.count_params() == 13870484);
  const std::string summary = model.summary_string();
  CHECK(summary.find(" Total params: 13,870,484 (52.91 MB)") != std::string::npos);
  CHECK(summary.find(" Trainable params: 13,870,484 (52.91 MB)") != std::string::npos);
  CHECK(summary.find(" Non-trainable params: 0 (0.00 B)") != std::string::npos);
  CHECK(model.outputs().front().shape() == Shape{-1, 100});
}

TEST_CASE("seed 001's CIFAR-100 CNN counts as Keras does") {
  // Conv2D(32, (3,3), relu, input 32x32x3) -> 30x30x32; pool -> 15x15; Conv2D(64) -> 13x13x64;
  // pool -> 6x6x64 = 2304; Dense(256); Dropout(0.5); Dense(100, softmax).
  Sequential model({Input({32, 32, 3}), Conv2D(32, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}),
                    Conv2D(64, {3, 3}, {.activation = "relu"}), MaxPooling2D({2, 2}), Flatten(),
                    Dense(256, {.activation = "relu"}), Dropout(0.5f), Dense(100, {.activation = "softmax"})});
  const std::int64_t expected = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) +
                                (6 * 6 * 64 * 256 + 256) + (256 * 100 + 100);
  CHECK(expected == 635172);
  CHECK(model.count_params() == expected);
  CHECK(model.layers()[4]->class_name() == "Flatten");
}

TEST_CASE("seed 003's CIFAR CNN counts as Keras does (CIFAR-100 head)") {
  // Three Conv2D(3x3, valid)+MaxPooling2D(2x2) blocks of 32, 64, 128 filters: 32 -> 30 -> 15 ->
  // 13 -> 6 -> 4 -> 2, so Flatten gives 2*2*128 = 512; then Dense 256, 128, no_classes = 100.
  Sequential model = apps::make_cifar_cnn();
  const std::int64_t expected = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) +
                                (3 * 3 * 64 * 128 + 128) + (512 * 256 + 256) + (256 * 128 + 128) +
                                (128 * 100 + 100);
  CHECK(expected == 270372);
  CHECK(model.count_params() == expected);
}
