// Every layer against real Keras: tests/fixtures/keras_layers.json holds, per case, a Keras
// layer's inputs, weights (in Keras' order) and output, written by tools/make_keras_fixtures.py.
// Each case is rebuilt here with kerascpp's equivalent arguments, the weights are loaded by
// order (their names and shapes must match Keras'), and the outputs must agree.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "keras/keras.hpp"
#include "support/fixtures.hpp"

using namespace keras;
using namespace keras::layers;
using json = nlohmann::json;

namespace {

const json& fixtures() { return test_support::keras_fixture("keras_layers.json"); }

Tensor tensor_of(const json& j) {
  return Tensor::from_vector(j.at("values").get<std::vector<float>>(),
                             Shape(j.at("shape").get<std::vector<std::int64_t>>()));
}

// kerascpp's spelling of each Keras layer in the fixture file.
const std::map<std::string, std::function<LayerPtr()>>& builders() {
  static const std::map<std::string, std::function<LayerPtr()>> table{
      {"dense_relu", [] { return Dense(5, {.activation = "relu"}); }},
      {"dense_rank3", [] { return Dense(3); }},
      {"conv2d_same_stride2_relu",
       [] { return Conv2D(4, 3, {.strides = 2, .padding = "same", .activation = "relu"}); }},
      {"conv2d_valid_dilated", [] { return Conv2D(4, {2, 3}, {.dilation_rate = 2}); }},
      {"conv2d_groups", [] { return Conv2D(6, 3, {.padding = "same", .groups = 3}); }},
      {"depthwise_conv2d", [] { return DepthwiseConv2D(3, {.padding = "same", .depth_multiplier = 2}); }},
      {"separable_conv2d",
       [] { return SeparableConv2D(4, 3, {.depth_multiplier = 2, .activation = "tanh"}); }},
      {"max_pooling2d_same", [] { return MaxPooling2D(3, {.strides = 2, .padding = "same"}); }},
      {"average_pooling2d_same", [] { return AveragePooling2D(2, {.padding = "same"}); }},
      {"global_average_pooling2d", [] { return GlobalAveragePooling2D(); }},
      {"global_max_pooling2d", [] { return GlobalMaxPooling2D({.keepdims = true}); }},
      {"batch_normalization_inference", [] { return BatchNormalization(); }},
      {"batch_normalization_training", [] { return BatchNormalization(); }},
      {"flatten", [] { return Flatten(); }},
      {"reshape", [] { return Reshape({4, -1}); }},
      {"activation_gelu", [] { return Activation("gelu"); }},
      {"activation_elu", [] { return Activation("elu"); }},
      {"activation_sigmoid", [] { return Activation("sigmoid"); }},
      {"activation_softmax", [] { return Activation("softmax"); }},
      {"activation_leaky_relu", [] { return Activation("leaky_relu"); }},
      {"activation_relu6", [] { return Activation("relu6"); }},
      {"activation_silu", [] { return Activation("silu"); }},
      {"activation_swish", [] { return Activation("swish"); }},
      {"activation_selu", [] { return Activation("selu"); }},
      {"activation_softplus", [] { return Activation("softplus"); }},
      {"re_lu_options", [] { return ReLU({.max_value = 0.6f, .negative_slope = 0.1f, .threshold = 0.2f}); }},
      {"leaky_re_lu", [] { return LeakyReLU(); }},
      {"elu_alpha", [] { return ELU({.alpha = 0.5f}); }},
      {"softmax", [] { return Softmax(); }},
      {"zero_padding2d", [] { return ZeroPadding2D({{1, 2}, {3, 0}}); }},
      {"cropping2d", [] { return Cropping2D({{1, 0}, {2, 1}}); }},
      {"add", [] { return Add(); }},
      {"multiply", [] { return Multiply(); }},
      {"average", [] { return Average(); }},
      {"subtract", [] { return Subtract(); }},
      {"concatenate", [] { return Concatenate(); }},
      {"resizing_bilinear_up", [] { return Resizing(5, 7); }},
      {"resizing_bilinear_down", [] { return Resizing(3, 2); }},
      {"resizing_nearest", [] { return Resizing(5, 7, {.interpolation = "nearest"}); }},
      {"rescaling", [] { return Rescaling(1.0f / 255.0f, {.offset = -1.0f}); }},
  };
  return table;
}

void check_close(const std::vector<float>& got, const std::vector<float>& expected,
                 const std::string& what) {
  REQUIRE(got.size() == expected.size());
  int reported = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double tolerance = 1e-5 + 1e-5 * std::fabs(expected[i]);
    if (std::fabs(double(got[i]) - expected[i]) > tolerance && reported++ < 5) {
      FAIL_CHECK(what << " element " << i << ": kerascpp " << got[i] << " vs Keras " << expected[i]);
    }
  }
}

}  // namespace

TEST_CASE("every layer reproduces real Keras' outputs on the golden fixtures") {
  const json& doc = fixtures();
  MESSAGE("fixtures from Keras " << doc.at("keras_version").get<std::string>() << " ("
                                 << doc.at("keras_backend").get<std::string>() << ")");
  std::size_t checked = 0;
  for (const json& c : doc.at("cases")) {
    const std::string name = c.at("name");
    CAPTURE(name);
    const auto builder = builders().find(name);
    REQUIRE_MESSAGE(builder != builders().end(), "no kerascpp spelling for fixture " << name);
    const LayerPtr layer = builder->second();
    CHECK(layer->class_name() == c.at("class").get<std::string>());

    std::vector<Tensor> inputs;
    std::vector<Shape> shapes;
    for (const json& in : c.at("inputs")) {
      inputs.push_back(tensor_of(in));
      shapes.push_back(inputs.back().shape().with_batch(-1).without_batch());
    }
    layer->build(shapes);
    const auto weights = layer->weights();
    REQUIRE(weights.size() == c.at("weights").size());
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const json& w = c.at("weights")[i];
      CHECK(weights[i]->name() == w.at("name").get<std::string>());
      CHECK(weights[i]->shape() == Shape(w.at("shape").get<std::vector<std::int64_t>>()));
      weights[i]->assign(tensor_of(w));
    }
    const Tensor out = (*layer)(inputs, c.at("training").get<bool>());
    CHECK(out.shape() == Shape(c.at("output").at("shape").get<std::vector<std::int64_t>>()));
    check_close(out.to_vector<float>(), c.at("output").at("values").get<std::vector<float>>(),
                name + " output");
    for (std::size_t i = 0; i < weights.size(); ++i) {
      check_close(weights[i]->value().to_vector<float>(),
                  c.at("weights_after")[i].get<std::vector<float>>(),
                  name + " weight " + weights[i]->name() + " after the call");
    }
    ++checked;
  }
  CHECK(checked == builders().size());
}
