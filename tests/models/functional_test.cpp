#include <doctest/doctest.h>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

namespace {
// Seed 002's residual block: conv-BN-relu-conv-BN plus the shortcut (a 1x1 conv + BN when the
// shape changes), Add, relu.
KerasTensor residual_block(const KerasTensor& x, std::int64_t filters, std::int64_t stride,
                           const std::string& activation = "relu") {
  KerasTensor shortcut = x;
  if (stride != 1 || x.shape()[-1] != filters) {
    shortcut = Conv2D(filters, 1, {.strides = stride})(x);
    shortcut = BatchNormalization()(shortcut);
  }
  KerasTensor y = Conv2D(filters, 3, {.strides = stride, .padding = "same"})(x);
  y = BatchNormalization()(y);
  y = Activation(activation)(y);
  y = Conv2D(filters, 3, {.padding = "same"})(y);
  y = BatchNormalization()(y);
  y = Add()({y, shortcut});
  return Activation(activation)(y);
}
}  // namespace

Model resnet(const std::string& activation) {
  const KerasTensor in = Input({6, 6, 3});
  KerasTensor x = residual_block(in, 4, 1, activation);
  x = residual_block(x, 4, 2, activation);
  x = GlobalAveragePooling2D()(x);
  return Model(in, Dense(5, {.activation = "softmax"})(x));
}

TEST_CASE("a functional ResNet block builds, back-propagates and passes a gradient check") {
  Model model = resnet("relu");
  CHECK(model.outputs().front().shape() == Shape{-1, 5});
  // Per block: conv, BN, relu, conv, BN, Add, relu and a 1x1 conv + BN shortcut (both blocks
  // change the shape), then pooling and the classifier.
  CHECK(model.layers().size() == 2 * 9 + 2);

  const Tensor images = test_support::uniform({3, 6, 6, 3}, 1);
  const Tensor labels = Tensor::from_vector<std::int32_t>({0, 3, 4}, {3});
  Tensor input = images.clone().set_requires_grad(true);
  auto loss_of = [&](Model m) {  // a Model copy shares the layers
    return [&labels, &input, m]() mutable {
      return ops::sparse_categorical_crossentropy(labels, m(input, true));
    };
  };
  auto first_kernel = [](const Model& m) {
    for (const auto& layer : m.layers()) {
      if (auto conv = std::dynamic_pointer_cast<Conv2DImpl>(layer)) return conv->kernel()->value();
    }
    FAIL("no Conv2D in the model");
    return Tensor();
  };
  // Element-wise check of the same graph with a smooth activation: every gradient of the
  // block (convolutions, batch statistics, shortcut, Add) is exact to float32 noise.
  Model smooth = resnet("tanh");
  test_support::check_gradients_in_place(loss_of(smooth), {input, first_kernel(smooth)},
                                         {.epsilon = 1e-3, .rtol = 2e-2, .atol = 2e-4});
  // With relu, batch normalization centres activations on the kink, so a few finite
  // differences cross it; the sampled gradient as a whole must still agree.
  const auto samples = test_support::sample_gradients(loss_of(model), {input, first_kernel(model)},
                                                      {.epsilon = 1e-3, .max_elements = 100});
  INFO("cosine similarity of analytic and numeric gradients: " << samples.cosine());
  CHECK(samples.cosine() > 0.99);

  // Every trainable weight receives a gradient through the graph.
  const Tensor loss = ops::mean(ops::sparse_categorical_crossentropy(labels, model(images, true)));
  std::vector<Tensor> vars;
  for (const auto& w : model.trainable_weights()) vars.push_back(w->value());
  const auto grads = GradientTape().gradient(loss, vars);
  for (std::size_t i = 0; i < grads.size(); ++i) {
    INFO("weight " << model.trainable_weights()[i]->path());
    CHECK(ops::sum(ops::abs(grads[i])).item<float>() > 0.0f);
  }
}

TEST_CASE("shared layers, multiple inputs and outputs") {
  const KerasTensor left = Input({4}, {.name = "left"}), right = Input({4}, {.name = "right"});
  Dense shared(3, {.activation = "tanh", .name = "shared"});
  const KerasTensor a = shared(left), b = shared(right);
  const KerasTensor sum = Add()({a, b});
  Model model({left, right}, {Dense(1, {.name = "score"})(sum), Dense(2, {.name = "aux"})(a)});
  CHECK(model.layers().size() == 4);  // shared counted once
  CHECK(model.count_params() == (4 * 3 + 3) + (3 + 1) + (3 * 2 + 2));
  const Tensor x1 = test_support::uniform({5, 4}, 1), x2 = test_support::uniform({5, 4}, 2);
  const auto outs = model({x1, x2});
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].shape() == Shape{5, 1});
  CHECK(outs[1].shape() == Shape{5, 2});
  // Same weights on both branches: swapping the inputs leaves the sum unchanged.
  const auto swapped = model({x2, x1});
  CHECK(test_support::max_abs_diff(outs[0], swapped[0]) < 1e-6);
  const std::string summary = model.summary_string();
  CHECK(summary.find("Connected to") != std::string::npos);
  CHECK(summary.find("│ shared[0][0],") != std::string::npos);
  CHECK(summary.find("│ shared[1][0]") != std::string::npos);
  CHECK(summary.find("left[0][0], right[0][0]") != std::string::npos);
  // Keras' order: inputs first (deepest), then by first visit from the outputs.
  CHECK(summary.find("left (InputLayer)") < summary.find("right (InputLayer)"));
  CHECK(summary.find("right (InputLayer)") < summary.find("shared (Dense)"));
  CHECK(summary.find("left (InputLayer)") != std::string::npos);
  CHECK_THROWS_AS(model(x1), ValueError);
  CHECK_THROWS_AS(model({x1, test_support::uniform({5, 3}, 3)}), ShapeError);
}

TEST_CASE("graph errors: disconnected inputs and duplicate names") {
  const KerasTensor a = Input({3}), b = Input({3});
  const KerasTensor y = Add()({a, b});
  CHECK_THROWS_AS(Model(a, y), ValueError);
  const KerasTensor c = Dense(2, {.name = "twin"})(a);
  CHECK_THROWS_AS(Model(a, Dense(2, {.name = "twin"})(c)), ValueError);
}
