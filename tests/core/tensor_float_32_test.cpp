// keras::config's TF32 switch: TensorFlow's default (on), and what it changes: float32 matrix
// products and convolutions on the cuda backend (Ampere and later), nothing on the host backends.
// The suite runs with it off (test_main.cpp); each case here sets it and puts it back.
#include <doctest/doctest.h>

#include <string>

#include "keras/keras.hpp"
#include "support/active_backend.hpp"

using namespace keras;

namespace {
struct Tf32 {
  explicit Tf32(bool on) : before(config::tensor_float_32_execution_enabled()) {
    config::enable_tensor_float_32_execution(on);
  }
  ~Tf32() { config::enable_tensor_float_32_execution(before); }
  bool before;
};

// TensorFlow's own example: 1.0001 times ones, summed over 1024. In float32 about 1024.1; with
// TF32's 10 mantissa bits 1.0001 is 1, and the sum 1024.
// (float32's own rounding of the running sum moves it by a few hundredths.)
bool full_precision(float sum) { return sum > 1024.05f && sum < 1024.2f; }
float product_of_ones(const std::string& backend_name) {
  Backend& b = backend::get(backend_name);
  const Tensor x = Tensor::full({64, 1024}, 1.0001f, float32, &b);
  const Tensor y = Tensor::ones({1024, 64}, float32, &b);
  return ops::matmul(x, y).to_vector<float>().front();
}

// The same sum through a 1x1 convolution over 1024 channels.
float convolution_of_ones(const std::string& backend_name) {
  Backend& b = backend::get(backend_name);
  const Tensor x = Tensor::full({2, 4, 4, 1024}, 1.0001f, float32, &b);
  const Tensor w = Tensor::ones({1, 1, 1024, 8}, float32, &b);
  return ops::conv2d(x, w).to_vector<float>().front();
}
}  // namespace

TEST_CASE("TF32 is on by default, as in TensorFlow, and switchable") {
  // test_main.cpp switched it off for the suite; a fresh process starts with it on.
  CHECK_FALSE(config::tensor_float_32_execution_enabled());
  {
    Tf32 on(true);
    CHECK(config::tensor_float_32_execution_enabled());
  }
  CHECK_FALSE(config::tensor_float_32_execution_enabled());
}

TEST_CASE("TF32 leaves the host backends' float32 at full precision") {
  Tf32 on(true);
  for (const std::string name : {"reference", "cpu"}) {
    CAPTURE(name);
    CHECK(full_precision(product_of_ones(name)));
    CHECK(full_precision(convolution_of_ones(name)));
  }
}

TEST_CASE("TF32 on the cuda backend: rounded inputs when on, IEEE float32 when off") {
  try {
    backend::get("cuda");
  } catch (const BackendError& e) {
    MESSAGE("SKIPPED TF32 on cuda: " << std::string(e.what()));
    return;
  }
  {
    Tf32 off(false);
    CHECK(full_precision(product_of_ones("cuda")));
    CHECK(full_precision(convolution_of_ones("cuda")));
  }
  Tf32 on(true);
  // cuBLAS and cuDNN may still pick a non-tensor-core kernel; on an Ampere or later GPU these
  // shapes take tensor cores, which round 1.0001 to 1.
  MESSAGE("TF32 on: gemm " << product_of_ones("cuda") << ", convolution " << convolution_of_ones("cuda"));
  CHECK(product_of_ones("cuda") == 1024.0f);
  CHECK(convolution_of_ones("cuda") == 1024.0f);
}
