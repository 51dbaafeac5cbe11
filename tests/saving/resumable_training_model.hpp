#pragma once
// The model and data of tests/saving/resumable_training.cpp, which the kill test also builds
// to compare the weights two runs end with.
#include "keras/keras.hpp"

namespace test_support {

inline keras::Sequential resumable_model() {
  using namespace keras::layers;
  // Wide enough that a backup takes a few milliseconds to write (the kill test aims at that).
  return keras::Sequential({Input({256}), Dense(1024, {.activation = "relu"}), Dropout(0.3f),
                            Dense(10, {.activation = "softmax"})});
}

inline std::pair<keras::Tensor, keras::Tensor> resumable_data() {
  return {keras::random::uniform({256, 256}, {-1.0f, 1.0f, 3}), keras::random::randint({256}, 0, 10, {4})};
}

}  // namespace test_support
