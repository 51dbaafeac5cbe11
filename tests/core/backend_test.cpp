#include <doctest/doctest.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "support/run_command.hpp"

using namespace keras;

TEST_CASE("the reference backend is always available, the cpu one when built") {
  const auto names = backend::available();
  CHECK(std::find(names.begin(), names.end(), "reference") != names.end());
#ifdef KERASCPP_TEST_CPU_BACKEND
  CHECK(names.front() == "cpu");  // best first: what an unset $KERAS_BACKEND picks
  CHECK(backend::get("cpu").name() == "cpu");
#endif
  const std::string before = backend::active_name();
  backend::set("reference");
  CHECK(backend::active_name() == "reference");
  CHECK(backend::get().device() == Device{DeviceKind::cpu, 0});
  CHECK(backend::get().host_addressable());
  backend::set(before);
}

TEST_CASE("set_num_threads changes the host thread count and refuses zero") {
  const int before = backend::num_threads();
  CHECK(before >= 1);
  backend::set_num_threads(1);
  CHECK(backend::num_threads() == 1);
  CHECK_THROWS_AS(backend::set_num_threads(0), ValueError);
  backend::set_num_threads(before);
}

TEST_CASE("asking for a backend that cannot run says which and why") {
  try {
    backend::set("cuda");
    FAIL("expected a BackendError");
  } catch (const BackendError& e) {
    const std::string msg = e.what();
    CHECK(msg.find("'cuda'") != std::string::npos);
    CHECK(msg.find("reference") != std::string::npos);
    MESSAGE("cuda backend: " << msg);
  }
#ifndef KERASCPP_TEST_CPU_BACKEND
  CHECK_THROWS_AS(backend::set("cpu"), BackendError);
#endif
  try {
    backend::set("tpu");
    FAIL("expected a BackendError");
  } catch (const BackendError& e) {
    CHECK(std::string(e.what()).find("expected one of 'cuda', 'cpu', 'reference'") != std::string::npos);
  }
  const std::string active = backend::active_name();
  CHECK_THROWS_AS(backend::set("tpu"), BackendError);
  CHECK(backend::active_name() == active);  // a failed set changes nothing
}

TEST_CASE("KERAS_BACKEND set for Python Keras (jax) gives a one-line notice and kerascpp's default") {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto [status, out] = test_support::run_command(
      "KERAS_BACKEND=jax '" + self + "' --test-case='activation values match their formulas' --no-version");
  CHECK(status == 0);
  CHECK_MESSAGE(out.find("$KERAS_BACKEND is 'jax', a Python Keras backend") != std::string::npos, out);
}

// The caller may reuse what it uploaded as soon as the call returns, for every size: the cuda
// backend copies up to 32 MiB through its pinned slots in 8 MiB pieces (reusing a slot once its
// upload has finished) and larger uploads from pageable memory. Three uploads before any read
// make the slots go round; the source is overwritten after each.
TEST_CASE("uploads of every size arrive intact though the source is reused at once, on every backend") {
  const std::vector<std::size_t> sizes = {1, 3u << 18, 5u << 20, 5u << 20, 11u << 20};  // floats: to 44 MiB
  for (const std::string name : {"reference", "cpu", "emulated_device", "cuda"}) {
    CAPTURE(name);
    Backend* device = nullptr;
    try {
      device = &backend::get(name);
    } catch (const BackendError& e) {
      MESSAGE("SKIPPED uploads on " << name << ": " << std::string(e.what()));
      continue;
    }
    std::vector<float> source;
    std::vector<Tensor> uploaded;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      source.resize(sizes[i]);
      std::iota(source.begin(), source.end(), static_cast<float>(i * 1000));
      uploaded.push_back(Tensor::from_vector(source, Shape({static_cast<std::int64_t>(sizes[i])}), device));
      std::fill(source.begin(), source.end(), -1.0f);
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      CAPTURE(sizes[i]);
      const std::vector<float> got = uploaded[i].to_vector<float>();
      REQUIRE(got.size() == sizes[i]);
      std::size_t wrong = 0;
      for (std::size_t k = 0; k < got.size(); ++k) wrong += got[k] != static_cast<float>(i * 1000 + k) ? 1 : 0;
      CHECK(wrong == 0);
    }
  }
}
