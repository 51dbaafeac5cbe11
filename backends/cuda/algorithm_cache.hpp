#pragma once
// The convolution algorithm of each shape and dtype, chosen once and remembered. Host logic
// only (the unit tests drive it with fake algorithms): `rank` lists the candidates best first
// (cuDNN's heuristics), `run` tries one and says whether it worked. A remembered choice that
// fails later (a workspace that no longer fits, an engine refusing a pointer alignment) is
// forgotten, and the candidates are ranked again without it.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace keras::cuda_backend {

template <class Choice>
class AlgorithmCache {
 public:
  // The choice that ran, or nothing if every candidate failed (the caller falls back).
  std::optional<Choice> run(const std::string& key, const std::function<std::vector<Choice>()>& rank,
                            const std::function<bool(const Choice&)>& run_one) {
    std::optional<Choice> cached = find(key);
    if (cached && run_one(*cached)) return cached;
    for (const Choice& candidate : rank()) {
      if (cached && candidate == *cached) continue;  // it just failed
      if (run_one(candidate)) {
        remember(key, candidate);
        return candidate;
      }
    }
    forget(key);
    return std::nullopt;
  }

  std::optional<Choice> find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = choices_.find(key);
    if (it == choices_.end()) return std::nullopt;
    return it->second;
  }
  void remember(const std::string& key, const Choice& choice) {
    std::lock_guard lock(mutex_);
    choices_[key] = choice;
  }
  void forget(const std::string& key) {
    std::lock_guard lock(mutex_);
    choices_.erase(key);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return choices_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Choice> choices_;
};

}  // namespace keras::cuda_backend
