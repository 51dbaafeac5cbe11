#pragma once
// keras.utils.to_categorical: integer class ids to one-hot rows.
#include <cstdint>

#include "keras/core/tensor.hpp"

namespace keras::utils {

// Class ids of any shape (integers, or floats holding integers; a trailing axis of size 1, as in
// CIFAR's (n, 1) labels, is dropped, as Keras does) -> float32 one-hot of shape (..., classes).
// num_classes 0 means the largest id + 1. An id outside [0, num_classes) is a ValueError that
// names it (Keras raises an IndexError). Reads the ids on the host, as Keras reads its array.
Tensor to_categorical(const Tensor& y, std::int64_t num_classes = 0);

}  // namespace keras::utils
