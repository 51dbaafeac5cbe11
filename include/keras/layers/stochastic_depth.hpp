#pragma once
// StochasticDepth (Huang et al., ECCV 2016), with keras_cv's arguments and rules: inputs
// [shortcut, residual]; in training the residual branch is kept whole with probability
// 1 - rate (one draw per batch, as the paper and keras_cv drop a block for a mini-batch) and
// dropped otherwise; at test time shortcut + (1 - rate) * residual, the training output's
// expected value. Keras itself has no such layer; ours saves under the class name
// "StochasticDepth".
#include <optional>
#include <string>

#include "keras/core/random.hpp"
#include "keras/layers/merge.hpp"

namespace keras::layers {

struct StochasticDepthOptions {
  std::optional<std::uint64_t> seed{};
  std::string name{};
};

class StochasticDepthImpl final : public MergeLayer {
 public:
  nlohmann::json get_config() const override;
  StochasticDepthImpl(float rate, StochasticDepthOptions options);
  int max_inputs() const override { return 2; }
  float rate() const { return rate_; }
  std::vector<random::SeedGenerator*> seed_generators() override { return {&seeds_}; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  float rate_;
  StochasticDepthOptions options_;
  random::SeedGenerator seeds_;
};

class StochasticDepth : public LayerHandle<StochasticDepthImpl> {
 public:
  explicit StochasticDepth(float rate = 0.5f, StochasticDepthOptions options = {});
};

}  // namespace keras::layers
