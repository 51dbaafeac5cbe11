#pragma once
// Shake-Shake regularization (Gastaldi, 2017), "Shake-Shake-Image": inputs [branch1, branch2]
// of a residual block. In training the output is a * branch1 + (1 - a) * branch2 and the gradient
// reaches the branches as b * dy and (1 - b) * dy, with a and b drawn independently from U(0, 1)
// for every image and every step; at test time 0.5 * (branch1 + branch2). Written with
// ops::custom_gradient. Keras has no such layer; ours saves under the class name "ShakeShake".
#include <optional>
#include <string>

#include "keras/core/random.hpp"
#include "keras/layers/merge.hpp"

namespace keras::layers {

struct ShakeShakeOptions {
  std::optional<std::uint64_t> seed{};
  std::string name{};
};

class ShakeShakeImpl final : public MergeLayer {
 public:
  nlohmann::json get_config() const override;
  explicit ShakeShakeImpl(ShakeShakeOptions options);
  int max_inputs() const override { return 2; }
  std::vector<random::SeedGenerator*> seed_generators() override { return {&seeds_}; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  ShakeShakeOptions options_;
  random::SeedGenerator seeds_;
};

class ShakeShake : public LayerHandle<ShakeShakeImpl> {
 public:
  explicit ShakeShake(ShakeShakeOptions options = {});
};

}  // namespace keras::layers
