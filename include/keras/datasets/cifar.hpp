#pragma once
// keras.datasets.cifar10 / cifar100: (x_train, y_train), (x_test, y_test) exactly as Keras
// returns them: x uint8 (n, 32, 32, 3) channels-last, y int32 (n, 1); class_names() beside them.
// Both official versions are read: the binary one (cifar-100-binary/train.bin ...,
// cifar-10-batches-bin/data_batch_1.bin ...) and the python one (cifar-100-python/train ...,
// cifar-10-batches-py/data_batch_1 ...: protocol-2 pickles, Keras' own download).
#include <string>

#include "keras/datasets/dataset.hpp"

namespace keras::datasets {

namespace cifar100 {
struct LoadOptions {
  std::string label_mode = "fine";  // "fine" (100 classes) | "coarse" (20 superclasses)
  // The version's folder, or a folder holding it. Empty: $KERAS_HOME/datasets,
  // ~/.keras/datasets (Keras' cache), ./data.
  std::string path{};
};
TrainTest load_data(LoadOptions options = {});
// The 100 fine or 20 coarse class names, from the same files as load_data.
std::vector<std::string> class_names(LoadOptions options = {});
}  // namespace cifar100

namespace cifar10 {
struct LoadOptions {
  std::string path{};  // as for cifar100
};
TrainTest load_data(LoadOptions options = {});
std::vector<std::string> class_names(LoadOptions options = {});
}  // namespace cifar10

}  // namespace keras::datasets
