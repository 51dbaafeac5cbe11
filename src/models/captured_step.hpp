#pragma once
// The training step (and the test and predict steps) recorded once on a backend that can
// replay work (a CUDA graph) and replayed for each later batch of the same shapes: one launch
// instead of one per op, and none of the host's per-op work (tape, shapes, allocation). The
// whole step is recorded (pass, trackers, optimizer update, metrics) when the optimizer's
// update can be: its per-step scalars are uploaded before each replay and its step counter
// and the metrics' host counts advanced after it. Otherwise (an optimizer a user writes with
// ops, or one that reads values on the host) only the pass is recorded and the rest runs op
// by op after it. A prediction records the model call alone.
//
// A step is recorded the second time in a row that the batch's shapes are seen (the first runs
// op by op: it builds the optimizer's slots and the backend's algorithm caches, which must not
// happen while recording), so a last partial batch, seen once per epoch, runs op by op and
// leaves the recording in place. docs/decisions.md ("jit_compile") has the rest.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/backend.hpp"
#include "keras/core/variable.hpp"
#include "keras/internal/capture_recording.hpp"
#include "keras/utils/sequence.hpp"
#include "model_state.hpp"

namespace keras {
class Model;
}

namespace keras::internal {

// What a training step's forward and backward pass give the rest of the step.
struct StepPass {
  std::vector<Tensor> outputs;
  CompiledLoss loss;
  Tensor total;  // loss.total plus the regularization losses
  std::vector<Tensor> gradients;
};

// The pass itself, op by op (both the uncaptured step and the recording run exactly this):
// a training step's, with the gradients of `values`, a test step's (no gradients), and a
// prediction's (the outputs alone).
StepPass forward_backward(Model& model, ModelState& st, const utils::Batch& batch, const std::vector<Tensor>& values);
StepPass forward_only(Model& model, ModelState& st, const utils::Batch& batch);
StepPass forward_predict(Model& model, const utils::Batch& batch);

enum class StepKind { train, test, predict };

// How much of a step a replay did.
enum class Replayed { nothing, pass, whole_step };

class CapturedStep {
 public:
  // Which pass: forward_backward, forward_only or forward_predict.
  CapturedStep(Backend& backend, StepKind kind) : backend_(backend), kind_(kind) {}
  Backend& backend() const { return backend_; }
  ~CapturedStep();
  CapturedStep(const CapturedStep&) = delete;
  CapturedStep& operator=(const CapturedStep&) = delete;

  // Runs the step of `batch` by replaying the recording, recording it first when this is the
  // second batch in a row of these shapes. `rest`: the step after its pass (trackers, update,
  // metrics), recorded too when `whole` allows. Returns what the replay did: nothing (the
  // caller runs the step op by op), the pass (written to `pass`; the caller runs `rest`), or
  // the whole step. `variables`: the trainable weights (training) or all the weights (test,
  // predict), part of the key.
  using Rest = std::function<void(const utils::Batch&, const StepPass&)>;
  Replayed run(Model& model, ModelState& st, const utils::Batch& batch, const std::vector<VariablePtr>& variables,
               const std::vector<Tensor>& values, bool whole, const Rest& rest, StepPass& pass);

 private:
  // Everything the recording fixed, as numbers: comparing them is cheap, and it happens every step.
  using Key = std::vector<std::uint64_t>;
  Key key_of(const ModelState& st, const utils::Batch& batch, const std::vector<VariablePtr>& variables) const;
  bool record(Model& model, ModelState& st, const utils::Batch& batch, const std::vector<Tensor>& values, bool whole,
              const Rest& rest);
  void replay(const utils::Batch& batch);
  void drop_recording();
  const char* kind_name() const;

  Backend& backend_;
  const StepKind kind_;
  Key previous_key_, recorded_key_;
  utils::Batch inputs_;  // where the recording reads the batch: each batch is copied in
  Tensor tables_;  // where the recording reads its per-step scalars and its seeds
  std::vector<std::uint64_t> seeds_;
  std::vector<CaptureRecording::Draw> draws_;
  std::vector<CaptureRecording::Check> checks_;
  std::vector<CaptureRecording::Scalars> scalars_;
  std::vector<unsigned char> upload_;  // tables_' contents for the next replay
  std::vector<std::function<void()>> hooks_;
  bool whole_ = false;          // the recording holds the whole step
  bool first_replay_ = false;   // the next replay is the recorded step's own (its seeds are drawn)
  bool whole_refused_ = false;  // recording the whole step failed: record the pass alone
  StepPass pass_;  // written by every replay
  std::unique_ptr<CapturedWork> work_;
  std::string failure_;  // why recording failed, if it did: the step then always runs op by op
};

}  // namespace keras::internal
