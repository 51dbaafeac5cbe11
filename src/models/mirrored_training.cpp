// MirroredStrategy's training step (mirrored_training.hpp). The copies are made once per compile
// from the model's config and take the model's weights at the start of every step, so that the
// model itself (its optimizer, callbacks, checkpoints, weights set by the user between steps)
// stays the one training state; the devices' work is queued on each device and runs side by
// side, the host only enqueues it.
#include "mirrored_training.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "keras/core/autograd.hpp"
#include "keras/core/errors.hpp"
#include "keras/core/random.hpp"
#include "keras/distribute/strategy.hpp"
#include "keras/internal/default_backend_scope.hpp"
#include "keras/internal/on_backend.hpp"
#include "keras/ops/array.hpp"
#include "keras/saving/saving.hpp"

namespace keras::internal {

struct MirroredReplicas {
  std::vector<Backend*> devices;  // [0]: the model's own
  std::vector<Model> copies;      // on devices[1], devices[2], ...
};

namespace {

distribute::MirroredStrategy* mirrored_strategy(const TrainingState& t) {
  return dynamic_cast<distribute::MirroredStrategy*>(t.strategy);
}

// Whether a model config holds a BatchNormalization(synchronized=true), nested models included.
bool has_synchronized_batch_normalization(const nlohmann::json& config) {
  if (config.is_object()) {
    if (config.value("class_name", "") == "BatchNormalization" && config.contains("config") &&
        config["config"].value("synchronized", false)) {
      return true;
    }
    for (const auto& item : config.items()) {
      if (has_synchronized_batch_normalization(item.value())) return true;
    }
  } else if (config.is_array()) {
    for (const auto& item : config) {
      if (has_synchronized_batch_normalization(item)) return true;
    }
  }
  return false;
}

MirroredReplicas& replicas_of(Model& model, ModelState& st) {
  TrainingState& t = st.training;
  if (t.mirrored_replicas) return *t.mirrored_replicas;
  const auto& devices = mirrored_strategy(t)->devices();
  const auto weights = model.weights();
  Backend& home = weights.empty() ? backend::get() : weights.front()->value().backend();
  if (&home != devices.front()) {
    throw ValueError("MirroredStrategy: model '" + st.name + "' lives on " + to_string(home.device()) +
                     " but the strategy's first device is " + to_string(devices.front()->device()) +
                     "; build the model with that device active (keras::backend::set), or list " +
                     to_string(home.device()) + " first");
  }
  std::string json;
  try {
    json = model.to_json();
  } catch (const std::exception& e) {
    throw ValueError("MirroredStrategy: model '" + st.name + "' cannot be copied to the other devices: " + e.what());
  }
  if (has_synchronized_batch_normalization(nlohmann::json::parse(json))) {
    throw ValueError("MirroredStrategy: model '" + st.name +
                     "' has BatchNormalization(synchronized=true), which is not built for devices of one "
                     "process; use MultiWorkerMirroredStrategy with one process per device (mpirun), which has it");
  }
  auto replicas = std::make_shared<MirroredReplicas>();
  replicas->devices = devices;
  // The copies' initializers draw from the global seed stream; their values are replaced by the
  // model's at every step, so the stream is put back: fit's later shuffles and a single-device
  // run's draw the same numbers.
  const auto seeds = random::global_state();
  for (std::size_t i = 1; i < devices.size(); ++i) {
    DefaultBackendScope on_device(*devices[i]);
    replicas->copies.push_back(saving::model_from_json(json));
    if (replicas->copies.back().weights().size() != weights.size()) {
      throw ValueError("MirroredStrategy: the copy of model '" + st.name + "' on " + to_string(devices[i]->device()) +
                       " has " + std::to_string(replicas->copies.back().weights().size()) + " weights, the model " +
                       std::to_string(weights.size()) + "; build the model before fit");
    }
  }
  random::set_global_state(seeds);
  t.mirrored_replicas = std::move(replicas);
  return *t.mirrored_replicas;
}

using internal::on_backend;

utils::Batch on_backend(Backend& device, const utils::Batch& b) {
  utils::Batch out;
  for (const Tensor& t : b.x) out.x.push_back(on_backend(device, t));
  for (const Tensor& t : b.y) out.y.push_back(on_backend(device, t));
  if (b.sample_weight.defined()) out.sample_weight = on_backend(device, b.sample_weight);
  return out;
}

Tensor add(const Tensor& sum, const Tensor& part) { return sum.defined() ? sum + part : part; }

}  // namespace

bool mirrored(const TrainingState& t) {
  const auto* s = mirrored_strategy(t);
  return s != nullptr && s->devices().size() > 1;
}

double run_mirrored_step(Model& model, ModelState& st, const utils::Batch& batch) {
  TrainingState& t = st.training;
  MirroredReplicas& r = replicas_of(model, st);
  Backend& home = *r.devices.front();
  const std::int64_t n = batch.x.empty() ? 0 : batch.x.front().dim(0);
  const auto weights = model.weights();
  for (std::size_t c = 0; c < r.copies.size(); ++c) {
    const auto copy_weights = r.copies[c].weights();
    for (std::size_t k = 0; k < weights.size(); ++k) {
      copy_weights[k]->assign(on_backend(*r.devices[c + 1], weights[k]->value()));
    }
  }

  // Each replica's gradients go into one float32 vector on its device (scaled by its share),
  // the strategy sums the vectors into the first device's, and the model's gradients are views
  // of that sum.
  const auto vars = model.trainable_weights();
  std::int64_t pack_size = 0;
  for (const auto& v : vars) pack_size += v->value().size();
  std::vector<Tensor> packs(r.devices.size());

  const std::size_t outputs = t.losses.size();
  Tensor total;
  std::vector<Tensor> output_losses(outputs);
  std::vector<std::vector<Tensor>> output_parts(outputs);
  std::vector<Model*> stepped;  // the replicas that had rows of this batch
  const int count = static_cast<int>(r.devices.size());
  for (int i = 0; i < count; ++i) {
    const auto [first, last] = utils::shard_rows(n, i, count);
    Backend& device = *r.devices[static_cast<std::size_t>(i)];
    if (first == last) {  // a batch smaller than the devices: this one adds nothing to the sum
      packs[static_cast<std::size_t>(i)] = Tensor::zeros({pack_size}, float32, &device);
      continue;
    }
    Model& replica = i == 0 ? model : r.copies[static_cast<std::size_t>(i - 1)];
    stepped.push_back(&replica);
    // What the step makes from nothing (constants, the tape's seed gradient) lands on its device.
    const DefaultBackendScope on_device(device);
    const utils::Batch slice = on_backend(device, utils::slice_rows(batch, first, last));
    const float share = static_cast<float>(last - first) / static_cast<float>(n);
    std::vector<Tensor> values;
    for (const auto& v : replica.trainable_weights()) values.push_back(v->value());
    const std::vector<Tensor> predictions = replica(slice.x, true);
    const CompiledLoss compiled = compiled_loss(t, slice.y, predictions, slice.sample_weight);
    for (std::size_t k = 0; k < outputs; ++k) {
      if (!t.output_loss_trackers.empty()) {
        output_losses[k] = add(output_losses[k], on_backend(home, compiled.per_output[k].detach()) * share);
      }
      output_parts[k].push_back(on_backend(home, predictions[k].detach()));
    }
    const Tensor loss = compiled.total + replica.regularization_loss();
    // Each slice's mean gradient weighted by its share: their sum is the whole batch's mean.
    const std::vector<Tensor> g = GradientTape().gradient(t.optimizer->scale_loss(loss), values);
    std::vector<Tensor> flat;
    for (const Tensor& gradient : g) flat.push_back((gradient.astype(float32) * share).reshape({-1}));
    packs[static_cast<std::size_t>(i)] = flat.size() == 1 ? flat.front() : ops::concatenate(flat, 0);
    total = add(total, on_backend(home, loss.detach()) * share);
  }
  if (pack_size > 0) {
    mirrored_strategy(t)->sum_into_first(packs);
    std::vector<Tensor> grads;
    std::int64_t offset = 0;
    for (const auto& v : vars) {
      const std::int64_t size = v->value().size();
      grads.push_back(packs.front().slice(offset, offset + size).reshape(v->shape()).astype(v->value().dtype()));
      offset += size;
    }
    t.optimizer->apply(grads, vars);
  }

  // BatchNormalization's moving statistics: the mean of the replicas' (TensorFlow's MEAN
  // aggregation), kept in the model; the next step copies them out again.
  if (!(stepped.size() == 1 && stepped.front() == &model)) {
    const auto own = model.non_trainable_weights();
    std::vector<std::vector<VariablePtr>> per_replica;
    for (Model* replica : stepped) per_replica.push_back(replica->non_trainable_weights());
    const float inverse = 1.0f / static_cast<float>(stepped.size());
    for (std::size_t k = 0; k < own.size(); ++k) {
      if (!is_moving_statistic(own[k])) continue;
      Tensor sum;
      for (const auto& replica_weights : per_replica) sum = add(sum, on_backend(home, replica_weights[k]->value()));
      own[k]->assign(sum * inverse);
    }
  }

  t.loss_tracker.update(total, static_cast<double>(n));
  for (std::size_t k = 0; k < outputs; ++k) {
    if (!t.output_loss_trackers.empty()) t.output_loss_trackers[k].update(output_losses[k], static_cast<double>(n));
    const auto& parts = output_parts[k];
    const Tensor predictions = parts.size() == 1 ? parts.front() : ops::concatenate(parts, 0);
    const Tensor y = on_backend(home, batch.y[k]);
    const Tensor sample_weight = batch.sample_weight.defined() ? on_backend(home, batch.sample_weight) : Tensor();
    for (auto& m : t.metrics[k]) m->update_state(y, predictions, sample_weight);
  }
  return static_cast<double>(n);
}

}  // namespace keras::internal
