// libFuzzer target: arbitrary bytes as a model or weights file. Every loading entry point must
// answer with a keras::Error (IOError, ValueError, ...) or succeed; anything else — a crash, a
// sanitizer report, another exception escaping — is a finding. Run by tools/run_fuzzers.sh.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "keras/keras.hpp"

namespace {

// Models whose weights the fuzzed files are loaded into (both saved layouts are tried).
keras::Sequential& small_model() {
  using namespace keras::layers;
  static keras::Sequential model({Input({8, 8, 3}), Conv2D(4, 3, {.padding = "same"}), BatchNormalization(),
                                  Flatten(), Dense(5)});
  return model;
}

void attempt(const std::function<void()>& load) {
  try {
    load();
  } catch (const keras::Error&) {
    // The expected answer to a broken file.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/kerascpp_fuzz_" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  attempt([] { keras::models::load_model(path); });
  attempt([] { small_model().load_weights(path); });
  attempt([] { small_model().load_weights(path, {.by_name = true, .skip_mismatch = true}); });
  return 0;
}
