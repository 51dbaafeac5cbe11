#pragma once
// NASNet-A's normal and reduction cells as Keras' nasnet.py builds them (layer names carry
// `id`), for NASNetMobile and for networks of other stems: apps/cifar100_zoo's NASNet-A for
// CIFAR. Each cell takes the previous two cells' outputs and returns its own, with the input it
// was given as the next cell's "previous" (Keras' skip_reduction=False).
#include <optional>
#include <string>

#include "keras/layers/layer.hpp"
#include "keras/regularizers/regularizers.hpp"

namespace keras::applications::nasnet_cells {

using layers::KerasTensor;

// What differs between Keras' ImageNet models and the CIFAR network of the paper's code:
// batch-normalization decay and epsilon, and weight decay on every kernel.
struct CellStyle {
  float bn_momentum = 0.9997f;
  float bn_epsilon = 1e-3f;
  regularizers::Regularizer kernel_regularizer{};
};

struct CellOutput {
  KerasTensor x, previous;
};

CellOutput normal_cell(const KerasTensor& ip, std::optional<KerasTensor> previous, std::int64_t filters,
                       const std::string& id, const CellStyle& style = {});
CellOutput reduction_cell(const KerasTensor& ip, std::optional<KerasTensor> previous, std::int64_t filters,
                          const std::string& id, const CellStyle& style = {});

}  // namespace keras::applications::nasnet_cells
