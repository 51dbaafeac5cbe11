#pragma once
// A user's custom layer with a weight and a config argument, registered as Keras'
// register_keras_serializable(package="kerascpp_tests", name="ScaleShift") would: y = tanh(x *
// scale + shift) + offset. Shared by the saving tests and the fresh process that reloads their
// files (custom_layer_process.cpp); tools/make_model_fixtures.py defines the same class in Python.
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"

namespace test_support {

class ScaleShiftImpl : public keras::layers::Layer {
 public:
  ScaleShiftImpl(float offset, const std::string& name) : Layer("ScaleShift", name), offset_(offset) {}
  float offset() const { return offset_; }
  nlohmann::json get_config() const override {
    nlohmann::json config = Layer::get_config();
    config["offset"] = offset_;
    return config;
  }
  static keras::layers::LayerPtr from_config(const nlohmann::json& config) {
    return std::make_shared<ScaleShiftImpl>(config.at("offset").get<float>(), config.value("name", ""));
  }

 protected:
  void build_weights(const std::vector<keras::Shape>& shapes) override {
    scale_ = add_weight("scale", {shapes[0][-1]}, keras::initializers::RandomUniform({0.5f, 1.5f, 3}));
    shift_ = add_weight("shift", {shapes[0][-1]}, keras::initializers::RandomUniform({-0.5f, 0.5f, 4}));
  }
  keras::Tensor call(const std::vector<keras::Tensor>& inputs, bool) override {
    return keras::ops::tanh(inputs[0] * autocast(scale_) + autocast(shift_)) + offset_;
  }

 private:
  float offset_;
  keras::VariablePtr scale_, shift_;
};

inline void register_scale_shift() {
  keras::saving::register_keras_serializable<ScaleShiftImpl>("kerascpp_tests", "ScaleShift");
}

// Input(6) -> Dense(4) -> ScaleShift(offset 0.25) -> Dense(3, softmax).
inline keras::Model custom_layer_model() {
  using namespace keras::layers;
  const KerasTensor in = Input({6});
  KerasTensor x = Dense(4, {.activation = "relu"})(in);
  x = LayerHandle<ScaleShiftImpl>(std::make_shared<ScaleShiftImpl>(0.25f, "scale_shift"))(x);
  return keras::Model(in, Dense(3, {.activation = "softmax"})(x), "with_custom_layer");
}

inline keras::Tensor custom_layer_input() { return keras::random::uniform({4, 6}, {-1.0f, 1.0f, 21}); }

}  // namespace test_support
