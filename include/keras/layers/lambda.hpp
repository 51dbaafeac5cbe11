#pragma once
// keras.layers.Lambda: a layer around a C++ callable on the layer's inputs (one, or a list), for
// computations no layer has, written with keras::ops (gradients follow from them). It has no
// weights. Like Keras in its default safe mode, which refuses to load lambdas, a model holding a
// Lambda cannot be saved whole: saving says so, and the fix is a custom layer class with
// get_config, registered with keras::saving::register_keras_serializable (or save_weights).
#include <functional>
#include <string>
#include <vector>

#include "keras/layers/layer.hpp"

namespace keras::layers {

struct LambdaOptions {
  // The output shape for the input shapes (batch axis included); by default the function is run
  // once on zeros of a batch of one to find it.
  std::function<Shape(const std::vector<Shape>&)> output_shape{};
  std::string name{};
};

class LambdaImpl final : public Layer {
 public:
  using Function = std::function<Tensor(const std::vector<Tensor>&)>;
  LambdaImpl(Function function, LambdaOptions options);
  Shape compute_output_shape(const std::vector<Shape>& input_shapes) const override;
  int max_inputs() const override { return 1 << 20; }

 protected:
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;

 private:
  Function function_;
  LambdaOptions options_;
  mutable std::vector<Shape> probed_inputs_;  // the shapes the default inference last ran for
  mutable Shape probed_output_;
};

class Lambda : public LayerHandle<LambdaImpl> {
 public:
  explicit Lambda(LambdaImpl::Function function, LambdaOptions options = {});
  // A function of a single tensor: Lambda([](const Tensor& x) { return ops::square(x); }).
  explicit Lambda(const std::function<Tensor(const Tensor&)>& function, LambdaOptions options = {});
};

}  // namespace keras::layers
