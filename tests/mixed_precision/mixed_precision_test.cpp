// Compute-dtype storage (issue: a device-ready engine): under mixed_bfloat16 / mixed_float16 a
// layer's outputs are 16-bit tensors, its variables stay float32 and get float32 gradients, and
// the backends agree. (The memory a step keeps is measured by bench/model_step_bench --memory.)
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "keras/keras.hpp"
#include "support/active_policy.hpp"
#include "support/stored_values.hpp"

using namespace keras;
using namespace keras::layers;

namespace {

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
    test_support::ActivePolicy guard(policy);
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
    test_support::ActivePolicy guard(policy);
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
    test_support::ActivePolicy guard(policy);
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

namespace {
// Values exactly representable in bfloat16 and float16 (multiples of 1/8 in [-2, 2)), so a
// gradient that enters a 16-bit op is the same in both runs.
Tensor eighths(const Shape& shape, std::uint64_t seed) {
  return random::randint(shape, -16, 16, {.seed = seed}).astype(float32) * 0.125f;
}

struct Grads {
  std::vector<std::vector<float>> values;
};
// Gradients of sum(cast(f(leaves), float32) * r) for leaves of `dtype` holding `values`.
Grads grads_of(const std::vector<Tensor>& values, DType dtype, const Tensor& r,
               const std::function<Tensor(const std::vector<Tensor>&)>& f) {
  std::vector<Tensor> leaves;
  for (const Tensor& v : values) {
    Tensor leaf = v.astype(dtype).detach();
    leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  const Tensor loss = ops::sum(ops::multiply(ops::cast(f(leaves), float32), r));
  Grads g;
  for (const Tensor& t : GradientTape().gradient(loss, leaves)) g.values.push_back(t.to_vector<float>());
  return g;
}

std::vector<float> rounded(const std::vector<float>& v, DType dtype) {
  return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}).astype(dtype).to_vector<float>();
}
}  // namespace

// The 16-bit backward passes work slab by slab (a few float32 slabs instead of float32 copies of
// whole activations); these shapes span several slabs, so a misplaced slab shows.
TEST_CASE("16-bit pooling forward and backward equal float32 pooling of the same values, rounded once") {
  const Tensor x = eighths({3, 48, 48, 64}, 5);  // 147,456 values an image: a slab each
  for (const DType dtype : {bfloat16, float16}) {
    for (const bool max : {true, false}) {
      CAPTURE(to_string(dtype));
      CAPTURE(max);
      const ops::Pool2DOptions o{.pool_h = 3, .pool_w = 3, .stride_h = 2, .stride_w = 2, .padding = "same"};
      const auto pool = [&](const std::vector<Tensor>& in) { return max ? ops::max_pool2d(in[0], o) : ops::average_pool2d(in[0], o); };
      const Tensor r = eighths({3, 24, 24, 64}, 6);
      const auto y16 = pool({x.astype(dtype)}).to_vector<float>();
      const auto y32 = pool({x}).to_vector<float>();
      const Grads g16 = grads_of({x}, dtype, r, pool), g32 = grads_of({x}, float32, r, pool);
      CHECK(y16 == rounded(y32, dtype));
      CHECK(g16.values[0] == rounded(g32.values[0], dtype));
    }
  }
}

TEST_CASE("16-bit convolution backward with fused relu and bias matches float32 on the same values") {
  const Tensor x = eighths({2, 48, 48, 8}, 7), kernel = eighths({3, 3, 8, 64}, 8), bias = eighths({64}, 9);
  const Tensor r = eighths({2, 48, 48, 64}, 10);  // 294,912 outputs: five slabs of rows, the last one short
  const auto conv = [](const std::vector<Tensor>& in) {
    return ops::conv2d_bias_activation(in[0], in[1], in[2], "relu", {.padding = "same"});
  };
  const Grads g32 = grads_of({x, kernel, bias}, float32, r, conv);
  for (const DType dtype : {bfloat16, float16}) {
    CAPTURE(to_string(dtype));
    const Grads g16 = grads_of({x, kernel, bias}, dtype, r, conv);
    for (std::size_t k = 0; k < 3; ++k) {
      CAPTURE(k);  // x, kernel, bias
      double diff = 0.0, scale = 0.0;
      for (std::size_t i = 0; i < g32.values[k].size(); ++i) {
        diff = std::max(diff, std::fabs(double(g16.values[k][i]) - g32.values[k][i]));
        scale = std::max(scale, std::fabs(double(g32.values[k][i])));
      }
      CHECK(scale > 0.0);
      CHECK(diff <= keras::testing::storage_tolerance(dtype) * scale);
    }
  }
}

TEST_CASE("mixed_bfloat16 about halves the memory a conv net's training step holds beyond its weights") {
  std::int64_t peak[2];
  int k = 0;
  for (const char* policy : {"float32", "mixed_bfloat16"}) {
    test_support::ActivePolicy guard(policy);
    utils::set_random_seed(4);
    Sequential model({Input({32, 32, 3}), Conv2D(32, 3, {.padding = "same", .activation = "relu"}),
                      Conv2D(32, 3, {.padding = "same", .activation = "relu"}), MaxPooling2D(2),
                      Conv2D(64, 3, {.padding = "same", .activation = "relu"}), MaxPooling2D(2), Flatten(),
                      Dense(10, {.activation = "softmax"})});
    model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
    const Tensor x = images(16, 32);
    const Tensor y = Tensor::from_vector(std::vector<std::int32_t>(16, 3), {16});
    model.train_on_batch(x, y);  // creates the optimizer's slots
    Backend& be = backend::get();
    be.synchronize();
    const std::int64_t between_steps = be.memory_stats().live_bytes;
    be.reset_peak_memory();
    model.train_on_batch(x, y);
    be.synchronize();
    peak[k++] = be.memory_stats().peak_bytes - between_steps;
  }
  MESSAGE("a training step's peak beyond weights and slots: float32 " << peak[0] / 1024 << " KiB, mixed_bfloat16 "
          << peak[1] / 1024 << " KiB");
  // Activations and their gradients are 16-bit; float32 gradients of the (small) weights are not.
  CHECK(peak[1] < 0.65 * static_cast<double>(peak[0]));
}
