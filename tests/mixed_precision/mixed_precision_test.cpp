// Compute-dtype storage (issue: a device-ready engine): under mixed_bfloat16 / mixed_float16 a
// layer's outputs are 16-bit tensors, its variables stay float32 and get float32 gradients, and
// the backends agree. (The memory a step keeps is measured by bench/model_step_bench --memory.)
#include <doctest/doctest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "support/stored_values.hpp"

using namespace keras;
using namespace keras::layers;

namespace {

// Restores the policy a test changed.
struct PolicyGuard {
  mixed_precision::DTypePolicy saved = mixed_precision::global_policy();
  explicit PolicyGuard(const std::string& policy) { mixed_precision::set_global_policy(policy); }
  ~PolicyGuard() { mixed_precision::set_global_policy(saved); }
};

std::vector<LayerPtr> conv_net() {
  return {Conv2D(6, 3, {.padding = "same", .activation = "relu"}), BatchNormalization(), MaxPooling2D(2),
          Dropout(0.25f), Conv2D(8, 3, {.activation = "relu"}), Flatten(), Dense(10), Activation("softmax")};
}

Tensor images(std::int64_t n, std::int64_t side = 8) {
  return random::uniform({n, side, side, 3}, {.seed = 3});
}

}  // namespace

TEST_CASE("mixed policies: every layer's output has the compute dtype, variables stay float32") {
  for (const auto& [policy, dtype] : {std::pair{"mixed_bfloat16", bfloat16}, std::pair{"mixed_float16", float16}}) {
    CAPTURE(policy);
    PolicyGuard guard(policy);
    Tensor x = images(4);
    for (const LayerPtr& layer : conv_net()) {
      x = (*layer)(x, true);
      CHECK_MESSAGE(x.dtype() == dtype, layer->name() << " gave " << to_string(x.dtype()));
      CHECK(layer->compute_dtype() == dtype);
      for (const auto& w : layer->weights()) CHECK(w->value().dtype() == float32);
    }
    // Functional graphs report it as Keras does: inputs float32, layer outputs the compute dtype.
    const KerasTensor in = Input({8, 8, 3});
    const KerasTensor out = Dense(4)(Flatten()(in));
    CHECK(in.dtype() == float32);
    CHECK(out.dtype() == dtype);
  }
}

TEST_CASE("mixed_bfloat16: a training step's gradients are float32 and close to float32 training") {
  std::vector<std::vector<float>> grads[2];
  int k = 0;
  for (const char* policy : {"float32", "mixed_bfloat16"}) {
    PolicyGuard guard(policy);
    utils::set_random_seed(11);
    Sequential model({Input({8, 8, 3}), Conv2D(6, 3, {.padding = "same", .activation = "relu"}), BatchNormalization(),
                      MaxPooling2D(2), Flatten(), Dense(10)});
    const Tensor y = Tensor::from_vector(std::vector<std::int32_t>{1, 3, 5, 7}, {4});
    std::vector<Tensor> values;
    for (const auto& v : model.trainable_weights()) values.push_back(v->value());
    const Tensor logits = model(images(4), true);
    CHECK(logits.dtype() == (k == 0 ? float32 : bfloat16));
    const Tensor loss = (*losses::SparseCategoricalCrossentropy({.from_logits = true}))(y, logits, Tensor());
    CHECK(loss.dtype() == float32);
    for (const Tensor& g : GradientTape().gradient(loss, values)) {
      CHECK(g.dtype() == float32);
      grads[k].push_back(g.to_vector<float>());
    }
    ++k;
  }
  REQUIRE(grads[0].size() == grads[1].size());
  for (std::size_t i = 0; i < grads[0].size(); ++i) {
    // Relative L2 distance: bfloat16 keeps 8 significant bits, and batch normalization's
    // backward amplifies them into a few percent.
    double diff = 0.0, norm = 0.0;
    for (std::size_t j = 0; j < grads[0][i].size(); ++j) {
      const double d = double(grads[0][i][j]) - grads[1][i][j];
      diff += d * d;
      norm += double(grads[0][i][j]) * grads[0][i][j];
    }
    CAPTURE(i);
    CHECK(std::sqrt(diff) <= 0.1 * std::sqrt(norm));
    CHECK(diff > 0.0);  // the step did compute in bfloat16
  }
}

TEST_CASE("ops::cast: values round to the target dtype and the gradient flows back cast") {
  const Tensor x = Tensor::from_vector(std::vector<float>{1.0f, 1.00390625f, -3.3f, 65504.0f}, {4});
  Tensor leaf = x.detach();
  leaf.set_requires_grad(true);
  const Tensor h = ops::cast(leaf, bfloat16);
  CHECK(h.dtype() == bfloat16);
  const auto v = h.to_vector<float>();
  CHECK(v[0] == 1.0f);
  CHECK(v[1] == 1.0f);  // 1 + 2^-8 rounds to even in bfloat16's 8 significant bits
  CHECK(v[2] == doctest::Approx(-3.3).epsilon(1.0 / 128));
  const Tensor w = Tensor::from_vector(std::vector<float>{0.5f, -2.0f, 0.25f, 1.0f}, {4}).astype(bfloat16);
  const Tensor loss = ops::sum(ops::cast(ops::multiply(h, w), float32));
  const Tensor g = GradientTape().gradient(loss, {leaf}).front();
  CHECK(g.dtype() == float32);
  CHECK(g.to_vector<float>() == std::vector<float>{0.5f, -2.0f, 0.25f, 1.0f});
  // float16 overflows past 65504, as in Keras; integers do not carry gradients.
  CHECK(std::isinf(ops::cast(x * 2.0f, float16).to_vector<float>()[3]));
  CHECK(ops::cast(x, int32).dtype() == int32);
}

#ifdef KERASCPP_TEST_CPU_BACKEND
TEST_CASE("mixed_bfloat16 and mixed_float16: the cpu backend's forward pass matches the reference's") {
  for (const char* policy : {"mixed_bfloat16", "mixed_float16"}) {
    CAPTURE(policy);
    PolicyGuard guard(policy);
    std::vector<float> outputs[2];
    int k = 0;
    for (const char* name : {"reference", "cpu"}) {
      const std::string previous = backend::active_name();
      backend::set(name);
      utils::set_random_seed(21);
      Sequential model({Input({8, 8, 3}), Conv2D(6, 3, {.padding = "same", .activation = "relu"}), BatchNormalization(),
                        MaxPooling2D(2), Conv2D(8, 3, {.activation = "relu"}), Flatten(), Dense(10)});
      outputs[k++] = model(images(4), true).to_vector<float>();
      backend::set(previous);
    }
    double diff = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < outputs[0].size(); ++i) {
      diff = std::max(diff, std::fabs(double(outputs[0][i]) - outputs[1][i]));
      scale = std::max(scale, std::fabs(double(outputs[0][i])));
    }
    CHECK(diff <= keras::testing::storage_tolerance(std::string(policy) == "mixed_float16" ? float16 : bfloat16) * 2 * scale);
  }
}
#endif
