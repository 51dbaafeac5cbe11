#include <doctest/doctest.h>

#include <sstream>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("default names are Keras' snake_case class names made unique") {
  backend::clear_session();
  Sequential model({Input({8, 8, 3}), Conv2D(2, 3), Conv2D(2, 3), MaxPooling2D(2), Flatten(),
                    Dense(3), ReLU(), LeakyReLU(), GlobalAveragePooling2D({.keepdims = false}).ptr() ? Dense(2) : Dense(2)});
  std::vector<std::string> names;
  for (const auto& l : model.layers()) names.push_back(l->name());
  CHECK(names == std::vector<std::string>{"conv2d", "conv2d_1", "max_pooling2d", "flatten",
                                          "dense", "re_lu", "leaky_re_lu", "dense_1"});
  CHECK(model.get_layer("flatten")->class_name() == "Flatten");
  CHECK_THROWS_AS(model.get_layer("nope"), ValueError);
}

TEST_CASE("every layer class gets Keras' default name") {
  backend::clear_session();
  CHECK(GlobalAveragePooling2D()->name() == "global_average_pooling2d");
  CHECK(DepthwiseConv2D(3)->name() == "depthwise_conv2d");
  CHECK(SeparableConv2D(2, 3)->name() == "separable_conv2d");
  CHECK(BatchNormalization()->name() == "batch_normalization");
  CHECK(SpatialDropout2D(0.1f)->name() == "spatial_dropout2d");
  CHECK(ZeroPadding2D()->name() == "zero_padding2d");
  CHECK(Cropping2D()->name() == "cropping2d");
  CHECK(ELU()->name() == "elu");
  CHECK(LeakyReLU()->name() == "leaky_re_lu");
  CHECK(Input({3}).name() == "input_layer");
  CHECK(Input({3}).name() == "input_layer_1");
}

TEST_CASE("summary prints Keras 3's table") {
  backend::clear_session();
  Sequential model({Input({28, 28}), Flatten(), Dense(128, {.activation = "relu"}), Dense(10)},
                   "mnist");
  const std::string expected =
      "Model: \"mnist\"\n"
      "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
      "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
      "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
      "│ flatten (Flatten)                    │ (None, 784)                 │               0 │\n"
      "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
      "│ dense (Dense)                        │ (None, 128)                 │         100,480 │\n"
      "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
      "│ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │\n"
      "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
      " Total params: 101,770 (397.54 KB)\n"
      " Trainable params: 101,770 (397.54 KB)\n"
      " Non-trainable params: 0 (0.00 B)\n";
  CHECK(model.summary_string() == expected);
}

TEST_CASE("Sequential without Input builds on first call - add and pop") {
  Sequential model;
  model.add(Dense(4));
  model.add(Dense(2));
  CHECK_FALSE(model.built());
  CHECK(model.summary_string().find("0 (unbuilt)") != std::string::npos);
  CHECK(model(Tensor::ones({3, 5})).shape() == Shape{3, 2});
  CHECK(model.built());
  CHECK(model.count_params() == (5 * 4 + 4) + (4 * 2 + 2));
  model.pop();
  CHECK(model.layers().size() == 1);
  CHECK(model(Tensor::ones({3, 5})).shape() == Shape{3, 4});
  CHECK_THROWS_AS(Sequential()(Tensor::ones({1, 2})), ValueError);
}

TEST_CASE("shape errors at build time name the layer and both shapes") {
  Sequential model({Input({8}), Dense(4, {.name = "hidden"})});
  try {
    model.add(Conv2D(3, 3, {.name = "bad_conv"}));
    FAIL("expected a ShapeError");
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("bad_conv") != std::string::npos);
    CHECK(msg.find("Conv2D") != std::string::npos);
    CHECK(msg.find("(None, 4)") != std::string::npos);
  }
  CHECK(model.layers().size() == 1);  // the failed add left the model as it was
  try {
    model(Tensor::ones({2, 7}));
    FAIL("expected a ShapeError");
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("(None, 8)") != std::string::npos);
    CHECK(msg.find("(2, 7)") != std::string::npos);
  }
}

TEST_CASE("get_weights / set_weights round trip and check shapes") {
  Sequential a({Input({3}), Dense(4), BatchNormalization(), Dense(2)});
  Sequential b({Input({3}), Dense(4), BatchNormalization(), Dense(2)});
  const auto weights = a.get_weights();
  CHECK(weights.size() == 2 + 4 + 2);
  b.set_weights(weights);
  const Tensor x = test_support::uniform({5, 3}, 1);
  CHECK(test_support::max_abs_diff(a(x), b(x)) == 0.0);
  auto wrong = weights;
  wrong[0] = Tensor::zeros({4, 3});
  CHECK_THROWS_AS(b.set_weights(wrong), ShapeError);
  wrong.pop_back();
  CHECK_THROWS_AS(b.set_weights(wrong), ValueError);
}

TEST_CASE("frozen layers keep their weights and count as non-trainable") {
  Sequential model({Input({4}), Dense(8, {.name = "frozen"}), Dense(2)});
  model.get_layer("frozen")->trainable = false;
  CHECK(model.trainable_weights().size() == 2);
  CHECK(model.non_trainable_weights().size() == 2);
  const std::string summary = model.summary_string();
  CHECK(summary.find("Trainable params: 18 ") != std::string::npos);
  CHECK(summary.find("Non-trainable params: 40 ") != std::string::npos);
  const Tensor before = model.get_layer("frozen")->weights()[0]->value().clone();
  test_support::check_training_step(model, test_support::uniform({6, 4}, 1), test_support::uniform({6, 2}, 2));
  CHECK(test_support::max_abs_diff(before, model.get_layer("frozen")->weights()[0]->value()) == 0.0);
}
