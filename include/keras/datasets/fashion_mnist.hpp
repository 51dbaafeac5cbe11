#pragma once
// keras.datasets.mnist and fashion_mnist: (x_train, y_train), (x_test, y_test) from the IDX
// files (gzipped or not), as Keras returns them: x uint8 (n, 28, 28), y uint8 (n,).
#include <string>
#include <vector>

#include "keras/datasets/dataset.hpp"

namespace keras::datasets {

namespace fashion_mnist {
struct LoadOptions {
  // Folder holding train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz),
  // t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz). Default: the Debian package
  // dataset-fashion-mnist's folder.
  std::string path = "/usr/share/datasets/fashion-mnist";
};
TrainTest load_data(LoadOptions options = {});
// "T-shirt/top", "Trouser", ... "Ankle boot", in label order.
std::vector<std::string> class_names();
}  // namespace fashion_mnist

namespace mnist {
struct LoadOptions {
  std::string path;  // the same four IDX files, from the official MNIST site
};
TrainTest load_data(LoadOptions options);
}  // namespace mnist

// Reads one IDX file (gzipped or not) into a uint8 tensor of the shape its header gives.
Tensor read_idx(const std::string& path);

}  // namespace keras::datasets
