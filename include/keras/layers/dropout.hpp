#pragma once
// keras.layers.Dropout: zeroes inputs with probability rate while training.
#include <optional>
#include <string>

#include "keras/core/random.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

struct DropoutOptions {
  std::optional<Shape> noise_shape{};  // None axes (-1) take the input's size
  std::optional<std::uint64_t> seed{};
  std::string name{};
};

class DropoutImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  DropoutImpl(float rate, DropoutOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  std::vector<random::SeedGenerator*> seed_generators() override { return {&seeds_}; }
  float rate() const { return rate_; }
  const DropoutOptions& options() const { return options_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  float rate_;
  DropoutOptions options_;
  random::SeedGenerator seeds_;
};

class Dropout : public LayerHandle<DropoutImpl> {
 public:
  explicit Dropout(float rate, DropoutOptions options = {});
};

}  // namespace keras::layers
