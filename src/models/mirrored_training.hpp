#pragma once
// MirroredStrategy's training step (keras/distribute/strategy.hpp): the model on the strategy's
// first device, a copy of it on each further one, one slice of every global batch per device.
#include "keras/models/model.hpp"
#include "keras/utils/sequence.hpp"
#include "model_state.hpp"

namespace keras::internal {

// Whether `t` trains on several devices of this process (a MirroredStrategy of two or more).
bool mirrored(const TrainingState& t);

// One training step on the whole global batch across the strategy's devices: each slice's
// forward and backward pass on its device, the gradients summed on the model's device weighted
// by each slice's share, one optimizer step, BatchNormalization's moving statistics averaged,
// the loss trackers and metrics updated over the whole batch. Returns the batch's sample count.
double run_mirrored_step(Model& model, ModelState& st, const utils::Batch& batch);

}  // namespace keras::internal
