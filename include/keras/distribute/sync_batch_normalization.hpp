#pragma once
// Batch normalization whose batch statistics are those of the global batch across a strategy's
// replicas (Keras' BatchNormalization(synchronized=True), TensorFlow's SyncBatchNormalization):
// each replica's per-channel sums are all-reduced in the forward pass, and the sums of the
// gradient in the backward pass, so N workers train as one process on their combined batch.
#include "keras/core/tensor.hpp"
#include "keras/distribute/strategy.hpp"
#include "keras/ops/nn.hpp"

namespace keras::distribute {

// As ops::batch_normalization_training over the replicas' combined batch (the same statistics
// on every replica); gamma and beta's gradients are this replica's part, which the strategy's
// gradient all-reduce sums. Every replica must call it in the same order.
ops::BatchNormResult synchronized_batch_normalization_training(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                                               float epsilon, Strategy& strategy);

}  // namespace keras::distribute
