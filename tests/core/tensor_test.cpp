#include <doctest/doctest.h>

#include <sstream>

#include "keras/keras.hpp"

using namespace keras;

TEST_CASE("tensors prepare data as in NumPy: astype, scalar arithmetic, at, item") {
  const Tensor images = Tensor::from_vector<std::uint8_t>({0, 51, 102, 255}, {1, 2, 2, 1});
  const Tensor x = images.astype(float32) / 255.0f;
  CHECK(x.dtype() == float32);
  CHECK(x.shape() == Shape{1, 2, 2, 1});
  CHECK(x.at<float>({0, 1, 1, 0}) == doctest::Approx(1.0f));
  CHECK(x.at<float>({0, 0, 1, 0}) == doctest::Approx(0.2f));
  CHECK(Tensor::full({}, 3.5f).item<float>() == 3.5f);
  CHECK_THROWS_AS(x.item<float>(), ShapeError);
  CHECK_THROWS_AS(x.at<float>({0, 2, 0, 0}), ShapeError);
  CHECK_THROWS_AS(x.at<std::int32_t>({0, 0, 0, 0}), ValueError);
  Tensor y = Tensor::zeros({2, 2});
  y.set<float>({1, 0}, 4.0f);
  CHECK(y.to_vector<float>() == std::vector<float>{0, 0, 4, 0});
}

TEST_CASE("casts round and saturate like NumPy's well-defined cases") {
  const Tensor f = Tensor::from_vector<float>({-3.7f, 0.4f, 300.0f, 1.0f / 3.0f}, {4});
  CHECK(f.astype(int32).to_vector<std::int32_t>() == std::vector<std::int32_t>{-3, 0, 300, 0});
  CHECK(f.astype(uint8).to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 0, 255, 0});
  const auto bf = f.astype(bfloat16).astype(float32).to_vector<float>();
  CHECK(bf[3] == doctest::Approx(1.0 / 3.0).epsilon(4e-3));
  const auto half = f.astype(float16).astype(float32).to_vector<float>();
  CHECK(half[2] == 300.0f);
  CHECK(half[3] == doctest::Approx(1.0 / 3.0).epsilon(1e-3));
  CHECK(float(float16_t(1e-6f)) == doctest::Approx(1e-6).epsilon(0.05));  // subnormal half
  CHECK(float(float16_t(70000.0f)) == std::numeric_limits<float>::infinity());
  CHECK(float(bfloat16_t(1.0f + 1.0f / 256.0f)) == 1.0f);  // ties round to even
}

TEST_CASE("batch slices are views sharing storage") {
  Tensor x = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  Tensor s = x.slice(1, 3);
  CHECK(s.shape() == Shape{2, 2});
  CHECK(s.to_vector<float>() == std::vector<float>{2, 3, 4, 5});
  s.set<float>({0, 0}, 20.0f);
  CHECK(x.at<float>({1, 0}) == 20.0f);
  CHECK(x.slice(-1, 4).to_vector<float>() == std::vector<float>{6, 7});
  CHECK(x[2].shape() == Shape{2});
  CHECK(x[2].to_vector<float>() == std::vector<float>{4, 5});
  CHECK_THROWS_AS(x.slice(3, 5), ShapeError);
  const Tensor copy = x.clone();
  x.set<float>({0, 0}, -1.0f);
  CHECK(copy.at<float>({0, 0}) == 0.0f);
}

TEST_CASE("shapes and dtypes print as Keras does - small tensors print like NumPy") {
  CHECK(to_string(Shape{-1, 32, 32, 3}) == "(None, 32, 32, 3)");
  CHECK(to_string(Shape{5}) == "(5,)");
  CHECK(to_string(Shape{}) == "()");
  CHECK(to_string(bfloat16) == "bfloat16");
  CHECK(dtype_from_string("uint8") == uint8);
  CHECK_THROWS_AS(dtype_from_string("float64"), ValueError);
  std::ostringstream os;
  os << Tensor::from_vector<std::int32_t>({1, 2, 3, 4}, {2, 2});
  CHECK(os.str() == "Tensor([[1, 2],\n        [3, 4]], shape=(2, 2), dtype=int32)");
  const std::string big = to_string(Tensor::zeros({100}));
  CHECK(big.find("...") != std::string::npos);
  CHECK(big.size() < 200);
}

TEST_CASE("creating tensors checks shapes and sizes") {
  CHECK_THROWS_AS(Tensor::from_vector<float>({1, 2, 3}, {2, 2}), ShapeError);
  CHECK_THROWS_AS(Tensor::zeros({-1, 3}), ShapeError);
  CHECK(Tensor::zeros({0, 3}).size() == 0);
}
