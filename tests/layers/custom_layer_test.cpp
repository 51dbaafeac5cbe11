// A user's custom layer, written as in Keras: weights in build_weights, the computation in
// call() with keras::ops. Shapes, gradients and training come for free.
#include <doctest/doctest.h>

#include "support/gradient_check.hpp"
#include "support/training_step.hpp"

using namespace keras;
using namespace keras::layers;

namespace {
class ScaleShiftImpl : public Layer {
 public:
  ScaleShiftImpl() : Layer("ScaleShift", "") {}
  VariablePtr scale, shift;

 protected:
  void build_weights(const std::vector<Shape>& shapes) override {
    scale = add_weight("scale", {shapes[0][-1]}, initializers::RandomUniform({.seed = 1}));
    shift = add_weight("shift", {shapes[0][-1]}, "zeros");
  }
  Tensor call(const std::vector<Tensor>& inputs, bool) override {
    return ops::tanh(inputs[0] * scale->value() + shift->value());
  }
};

class ScaleShift : public LayerHandle<ScaleShiftImpl> {
 public:
  ScaleShift() : LayerHandle(std::make_shared<ScaleShiftImpl>()) {}
};
}  // namespace

TEST_CASE("a custom layer needs only build_weights and call") {
  backend::clear_session();
  ScaleShift custom;
  CHECK(custom->name() == "scale_shift");
  CHECK(custom(Input({3, 4})).shape() == Shape{-1, 3, 4});  // shape inferred by a dry run
  CHECK(custom->count_params() == 8);

  Sequential model({Input({6}), Dense(4), ScaleShift(), Dense(2)});
  CHECK(model.summary_string().find("scale_shift_1 (ScaleShift)") != std::string::npos);
  test_support::check_training_step(model, test_support::uniform({8, 6}, 1),
                                    test_support::uniform({8, 2}, 2));
  test_support::check_gradients_in_place([&] { return custom(test_support::uniform({2, 3, 4}, 3)); },
                                         {custom->scale->value(), custom->shift->value()});
}
