#pragma once
// keras.layers.Resizing: resizes images to (height, width) like tf.image.resize.
#include <string>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct ResizingOptions {
  std::string interpolation = "bilinear";  // "bilinear" | "nearest"
  bool crop_to_aspect_ratio = false;
  std::string data_format = "channels_last";
  std::string name{};
};

class ResizingImpl final : public Layer {
 public:
  nlohmann::json get_config() const override;
  ResizingImpl(std::int64_t height, std::int64_t width, ResizingOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  const ResizingOptions& options() const { return options_; }
  std::int64_t height() const { return height_; }
  std::int64_t width() const { return width_; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  std::int64_t height_, width_;
  ResizingOptions options_;
};

class Resizing : public LayerHandle<ResizingImpl> {
 public:
  explicit Resizing(std::int64_t height, std::int64_t width, ResizingOptions options = {});
};

}  // namespace keras::layers
