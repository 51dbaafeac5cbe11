#pragma once
// keras.layers.SpatialDropout2D: drops whole feature maps (noise shape (n, 1, 1, c)).
#include <optional>
#include <string>

#include "keras/core/random.hpp"
#include "keras/layers/layer.hpp"

namespace keras::layers {

struct SpatialDropout2DOptions {
  std::string data_format = "channels_last";
  std::optional<std::uint64_t> seed{};
  std::string name{};
};

class SpatialDropout2DImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  SpatialDropout2DImpl(float rate, SpatialDropout2DOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  std::vector<random::SeedGenerator*> seed_generators() override { return {&seeds_}; }
  const SpatialDropout2DOptions& options() const { return options_; }
  float rate() const { return rate_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  float rate_;
  SpatialDropout2DOptions options_;
  random::SeedGenerator seeds_;
};

class SpatialDropout2D : public LayerHandle<SpatialDropout2DImpl> {
 public:
  explicit SpatialDropout2D(float rate, SpatialDropout2DOptions options = {});
};

}  // namespace keras::layers
