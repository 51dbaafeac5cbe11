#include "keras/core/autograd.hpp"

#include <unordered_map>
#include <unordered_set>

#include "keras/core/errors.hpp"
#include "keras/ops/math.hpp"

namespace keras {

namespace {
thread_local bool g_grad_mode = true;
}

namespace internal {

bool grad_mode_enabled() { return g_grad_mode; }

void record(Tensor& output, const char* op_name, std::vector<Tensor> inputs,
            std::function<std::vector<Tensor>(const Tensor&)> backward) {
  if (!g_grad_mode) return;
  bool any = false;
  for (const auto& t : inputs) any = any || t.requires_grad();
  if (!any) return;
  auto node = std::make_shared<Node>();
  node->op_name = op_name;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
}

GradModeScope::GradModeScope(bool enabled) : previous_(g_grad_mode) { g_grad_mode = enabled; }
GradModeScope::~GradModeScope() { g_grad_mode = previous_; }

}  // namespace internal

NoGradGuard::NoGradGuard() : previous_(g_grad_mode) { g_grad_mode = false; }
NoGradGuard::~NoGradGuard() { g_grad_mode = previous_; }

std::vector<Tensor> GradientTape::gradient(const Tensor& target,
                                           const std::vector<Tensor>& sources) const {
  return gradient(target, sources, nullptr);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const ReadyCallback& ready) const {
  using Impl = const internal::TensorImpl*;
  NoGradGuard no_grad;  // backward closures compute with ops; nothing of it is recorded

  // For `ready`: each source's positions in `sources`, and how many recorded uses of it the walk
  // has still to pass (its gradient is final when that reaches 0).
  std::unordered_map<Impl, std::vector<std::size_t>> source_positions;
  std::unordered_map<Impl, std::size_t> uses_left;
  if (ready) {
    for (std::size_t i = 0; i < sources.size(); ++i) source_positions[sources[i].id()].push_back(i);
  }
  std::vector<bool> announced(ready ? sources.size() : 0, false);
  std::unordered_map<Impl, Tensor> grads;
  const auto gradient_of = [&](const Tensor& s) {
    auto g = grads.find(s.id());
    return g != grads.end() ? g->second : Tensor::zeros(s.shape(), float32, &s.backend());
  };
  const auto announce = [&](Impl id) {
    for (const std::size_t i : source_positions.at(id)) {
      if (announced[i]) continue;
      announced[i] = true;
      ready(i, gradient_of(sources[i]));
    }
  };

  // Topological order of the tensors the target depends on (depth-first, iterative).
  std::vector<Tensor> order;
  std::unordered_set<Impl> visited;
  std::vector<std::pair<Tensor, bool>> stack{{target, false}};
  while (!stack.empty()) {
    auto [t, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      order.push_back(t);
      continue;
    }
    if (!t.requires_grad() || !visited.insert(t.id()).second) continue;
    stack.push_back({t, true});
    if (const auto& fn = t.impl()->grad_fn) {
      for (const auto& in : fn->inputs) {
        stack.push_back({in, false});
        if (ready && in.requires_grad() && source_positions.count(in.id())) ++uses_left[in.id()];
      }
    }
  }

  if (target.requires_grad()) grads[target.id()] = Tensor::ones(target.shape(), float32, &target.backend());
  // Like Keras' (non-persistent) GradientTape, the walk frees what the forward pass saved as it
  // goes: once a node has passed its gradient on, its closure (the activations it kept) and its
  // links are dropped, so a training step's memory falls through the backward pass instead of
  // peaking at all activations plus all gradients. A second walk through it is an error.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Tensor t = std::move(*it);  // the walk's own reference goes with this iteration
    const std::shared_ptr<internal::Node> fn = t.impl()->grad_fn;
    if (!fn) continue;
    auto g = grads.find(t.id());
    if (g == grads.end()) {
      // No gradient reaches this op: its inputs get nothing from it, and it is passed all the same.
      if (ready) {
        for (const Tensor& in : fn->inputs) {
          auto left = uses_left.find(in.id());
          if (left != uses_left.end() && --left->second == 0) announce(in.id());
        }
      }
      continue;
    }
    std::vector<Tensor> in_grads = fn->backward(g->second);
    grads.erase(g);  // interior gradients are no longer needed once passed on; sources are leaves
    for (std::size_t i = 0; i < fn->inputs.size(); ++i) {
      const Tensor& in = fn->inputs[i];
      if (!in.requires_grad() || i >= in_grads.size() || !in_grads[i].defined()) continue;
      auto [slot, inserted] = grads.try_emplace(in.id(), std::move(in_grads[i]));
      if (!inserted) slot->second = ops::add(slot->second, in_grads[i]);
    }
    if (ready) {
      for (const Tensor& in : fn->inputs) {
        auto left = uses_left.find(in.id());
        if (left != uses_left.end() && --left->second == 0) announce(in.id());
      }
    }
    in_grads.clear();
    fn->inputs.clear();
    fn->backward = [op = fn->op_name](const Tensor&) -> std::vector<Tensor> {
      throw ValueError("GradientTape.gradient: the graph through '" + op +
                       "' was already differentiated, and differentiating frees what its forward pass "
                       "saved (as Keras' non-persistent GradientTape does); run the forward pass again "
                       "to take another gradient");
    };
  }

  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const auto& s : sources) result.push_back(gradient_of(s));
  for (std::size_t i = 0; ready && i < sources.size(); ++i) {
    if (!announced[i]) announce(sources[i].id());
  }
  return result;
}

}  // namespace keras
