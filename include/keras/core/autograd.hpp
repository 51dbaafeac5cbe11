#pragma once
// Reverse-mode differentiation. Every op whose inputs require a gradient records a Node with a
// closure that maps the output's gradient to its inputs' gradients; GradientTape walks them.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/tensor.hpp"

namespace keras {

namespace internal {
struct Node {
  std::string op_name{};
  std::vector<Tensor> inputs;  // the op's inputs that require a gradient
  // grad of the output -> one gradient per entry of `inputs` (an undefined one means zero)
  std::function<std::vector<Tensor>(const Tensor&)> backward;
};

// Whether ops record at all (false inside NoGradGuard and inside backward closures).
bool grad_mode_enabled();

// Attaches `backward` to `output` if any of `inputs` requires a gradient. Inputs that do not
// get no gradient; the closure still returns one entry per input passed here.
void record(Tensor& output, const char* op_name, std::vector<Tensor> inputs,
            std::function<std::vector<Tensor>(const Tensor&)> backward);

// Turns recording on or off for a scope; a backward closure that recomputes its op turns it on.
class GradModeScope {
 public:
  explicit GradModeScope(bool enabled);
  ~GradModeScope();
  GradModeScope(const GradModeScope&) = delete;
  GradModeScope& operator=(const GradModeScope&) = delete;

 private:
  bool previous_;
};
}  // namespace internal

// Turns recording off in a scope (inference, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Like tf.GradientTape: ops run while the tape lives are recorded on their outputs;
// gradient() differentiates a scalar target with respect to leaf tensors.
class GradientTape {
 public:
  // Gradients of `target` (summed if it is not a scalar) for each source; a source the
  // target does not depend on gets a zero tensor of its shape.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources) const;

  // The same, calling ready(i, gradient of sources[i]) during the walk as soon as that gradient
  // is final (every op that used the source has passed its gradient on), once per source, in the
  // walk's order; sources nothing depends on come last. Data-parallel training starts reducing
  // gradients there while the rest of the backward pass runs.
  using ReadyCallback = std::function<void(std::size_t, const Tensor&)>;
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               const ReadyCallback& ready) const;
};

}  // namespace keras
