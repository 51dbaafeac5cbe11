#pragma once
// The two models of tools/make_weights_fixtures.py (tests/fixtures/keras_weights/), built as
// Keras builds them there, for the weights-file tests of both layouts.
#include <filesystem>

#include "keras/keras.hpp"

namespace test_support {

inline const std::filesystem::path& weights_fixtures() {
  static const std::filesystem::path folder =
      std::filesystem::path(KERASCPP_SOURCE_DIR) / "tests" / "fixtures" / "keras_weights";
  return folder;
}

inline keras::Sequential weights_fixture_sequential() {
  using namespace keras::layers;
  return keras::Sequential({Input({8, 8, 3}), Conv2D(4, 3, {.padding = "same", .activation = "relu"}),
                            BatchNormalization(), MaxPooling2D(2), Conv2D(6, 3), Flatten(), Dropout(0.3f),
                            Dense(5, {.activation = "softmax"})});
}

inline keras::Model weights_fixture_functional() {
  using namespace keras::layers;
  const KerasTensor in = Input({6});
  const KerasTensor a = Dense(4, {.activation = "tanh"})(in);
  const KerasTensor b = Dense(4)(in);
  const KerasTensor merged = Concatenate()({Add()({a, b}), a});
  return keras::Model(in, Dense(2)(merged));
}

}  // namespace test_support
