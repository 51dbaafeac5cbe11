#include <doctest/doctest.h>

#include "keras/keras.hpp"

using namespace keras;

TEST_CASE("the reference backend is always available and the default here") {
  const auto names = backend::available();
  CHECK(std::find(names.begin(), names.end(), "reference") != names.end());
  backend::set("reference");
  CHECK(backend::active_name() == "reference");
  CHECK(backend::get().device() == Device::cpu);
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
  CHECK_THROWS_AS(backend::set("cpu"), BackendError);
  try {
    backend::set("tpu");
    FAIL("expected a BackendError");
  } catch (const BackendError& e) {
    CHECK(std::string(e.what()).find("expected one of 'cuda', 'cpu', 'reference'") != std::string::npos);
  }
  CHECK(backend::active_name() == "reference");  // a failed set changes nothing
}
