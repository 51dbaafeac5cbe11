#pragma once
// What keras::datasets loaders return: (x_train, y_train), (x_test, y_test) as Keras returns
// them, destructured as in `auto [train, test] = cifar100::load_data();`. Class names come from
// each dataset's class_names().
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras::datasets {

struct Split {
  Tensor x, y;
};
struct TrainTest {
  Split train, test;
};

}  // namespace keras::datasets
