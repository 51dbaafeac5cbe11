// Permute (Keras' axis numbering, ShuffleNet's channel shuffle) and Lambda (a C++ callable as a
// layer, refused by saving as Keras' safe mode refuses lambdas).
#include <doctest/doctest.h>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/gradient_check.hpp"
#include "support/temp_path.hpp"

using namespace keras;
using namespace keras::layers;

TEST_CASE("Permute reorders the axes after the batch, numbered from 1 as in Keras") {
  const Tensor x = test_support::uniform({2, 3, 4, 5}, 1);
  Permute permute({3, 1, 2});
  const Tensor y = permute(x);
  CHECK(y.shape() == Shape{2, 5, 3, 4});
  CHECK(test_support::max_abs_diff(y, ops::transpose(x, {0, 3, 1, 2})) == 0.0);
  CHECK(permute->compute_output_shape({Shape{-1, 3, 4, 5}}) == Shape{-1, 5, 3, 4});
  test_support::check_gradients([&](const std::vector<Tensor>& in) { return permute(in[0]); }, {x});
  CHECK(test_support::error_of([] { Permute({1, 3}); }).find("permutation of 1..2") != std::string::npos);
  CHECK(test_support::error_of([&] { permute(Tensor::zeros({2, 3, 4})); }).find("rank 4") != std::string::npos);

  // ShuffleNet's channel shuffle with 2 groups of 3: channels 0 1 2 | 3 4 5 -> 0 3 1 4 2 5.
  const KerasTensor in = Input({1, 1, 6});
  KerasTensor s = Reshape(Shape{1, 1, 2, 3})(in);
  s = Permute({1, 2, 4, 3})(s);
  Model shuffle(in, Reshape(Shape{1, 1, 6})(s));
  const auto out = shuffle(Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {1, 1, 1, 6})).to_vector<float>();
  CHECK(out == std::vector<float>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("Lambda runs a C++ function as a layer, infers its shape, passes gradients, and is refused by saving") {
  Lambda square([](const Tensor& x) { return ops::square(x); }, {.name = "square"});
  const KerasTensor in = Input({3});
  const KerasTensor hidden = Dense(4, {.name = "hidden"})(in);
  const KerasTensor sq = square(hidden);
  CHECK(sq.shape() == Shape{-1, 4});
  Lambda sum_pair([](const std::vector<Tensor>& xs) { return ops::add(xs[0], ops::sum(xs[1], {1}, true)); });
  const KerasTensor mixed = sum_pair({sq, hidden});
  CHECK(mixed.shape() == Shape{-1, 4});
  Lambda fixed([](const Tensor& x) { return ops::reshape(x, Shape{x.dim(0), 2, 2}); },
               {.output_shape = [](const std::vector<Shape>& s) { return Shape{s[0][0], 2, 2}; }});
  Model model(in, fixed(mixed));
  CHECK(model.outputs().front().shape() == Shape{-1, 2, 2});
  const Tensor x = test_support::uniform({5, 3}, 2);
  const Tensor h = (*model.get_layer("hidden"))(x);
  const Tensor expected = ops::add(ops::square(h), ops::sum(h, {1}, true));
  CHECK(test_support::max_abs_diff(model(x), ops::reshape(expected, Shape{5, 2, 2})) < 1e-6);
  const VariablePtr kernel = model.get_layer("hidden")->weights().front();
  test_support::check_gradients_in_place([&] { return ops::sum(model(x)); }, {kernel->value()});

  const std::string refused = test_support::error_of([&] { model.save(test_support::temp_path("lambda.keras").string()); });
  CHECK(refused.find("'square' (Lambda)") != std::string::npos);
  CHECK(refused.find("register_keras_serializable") != std::string::npos);
  CHECK(test_support::error_of([&] { (void)model.to_json(); }).find("Lambda") != std::string::npos);
  model.save_weights(test_support::temp_path("lambda.weights.h5").string());  // weights alone save
}
