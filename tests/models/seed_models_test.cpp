// Parameter counts of the source documents' CIFAR-100 CNNs, with Keras' arithmetic written
// out: Conv2D has kh*kw*in*filters + filters, Dense in*units + units.
#include <doctest/doctest.h>

#include "apps/cifar100_basic_cnn/basic_cnn_model.hpp"
#include "apps/cifar100_convnet/convnet_model.hpp"
#include "apps/cifar100_resnet/resnet_model.hpp"
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
  Sequential model = apps::make_basic_cnn();
  const std::int64_t expected = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) +
                                (6 * 6 * 64 * 256 + 256) + (256 * 100 + 100);
  CHECK(expected == 635172);
  CHECK(model.count_params() == expected);
  CHECK(model.layers()[4]->class_name() == "Flatten");
}

TEST_CASE("seed 003's CIFAR CNN counts as Keras does (CIFAR-100 head)") {
  // Three Conv2D(3x3, valid)+MaxPooling2D(2x2) blocks of 32, 64, 128 filters: 32 -> 30 -> 15 ->
  // 13 -> 6 -> 4 -> 2, so Flatten gives 2*2*128 = 512; then Dense 256, 128, no_classes = 100.
  Sequential model = apps::make_convnet();
  const std::int64_t expected = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) +
                                (3 * 3 * 64 * 128 + 128) + (512 * 256 + 256) + (256 * 128 + 128) +
                                (128 * 100 + 100);
  CHECK(expected == 270372);
  CHECK(model.count_params() == expected);
}

TEST_CASE("seed 004's first, 5-layer net has the document's 643,492 parameters") {
  // "Same" 3x3 convolutions of 32, 64, 128 filters, each with a 2x2 max-pool: 32 -> 16 -> 8 -> 4,
  // Flatten 4*4*128 = 2048, Dense 256, Dense 100.
  Sequential model = apps::make_vgg9_small();
  const std::int64_t expected = (3 * 3 * 3 * 32 + 32) + (3 * 3 * 32 * 64 + 64) + (3 * 3 * 64 * 128 + 128) +
                                (2048 * 256 + 256) + (256 * 100 + 100);
  CHECK(expected == 643492);
  CHECK(model.count_params() == expected);
}

TEST_CASE("seed 002's ResNet has the document's 46,203,236 parameters") {
  // Per block (in -> f): two 3x3 convs and a 1x1 shortcut conv, with biases, each followed by a
  // BatchNormalization of 4*f weights (gamma, beta, moving mean and variance).
  auto block = [](std::int64_t in, std::int64_t f) {
    return (9 * in * f + f + 4 * f) + (9 * f * f + f + 4 * f) + (in * f + f + 4 * f);
  };
  std::int64_t expected = (9 * 3 * 128 + 128) + 4 * 128 + 1024 * 100 + 100;
  std::int64_t in = 128;
  for (std::int64_t f : {128, 256, 512, 1024}) {
    expected += block(in, f) + block(f, f);
    in = f;
  }
  CHECK(expected == 46203236);
  Model model = apps::make_resnet();
  CHECK(model.count_params() == expected);
  CHECK(model.outputs().front().shape() == Shape{-1, 100});
  CHECK(model.summary_string().find(" Total params: 46,203,236 ") != std::string::npos);
}
