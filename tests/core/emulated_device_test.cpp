// The device-like test backend keeps the engine honest only if its guards work: its memory
// faults when the host touches it, its kernels refuse host pointers, and its queue is ordered.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>

#include "keras/keras.hpp"
#include "support/emulated_device_backend.hpp"

using namespace keras;

TEST_CASE("emulated device: a host dereference of its memory faults") {
  Backend& device = backend::get("emulated_device");
  CHECK_FALSE(device.host_addressable());
  CHECK(device.device() == Device{DeviceKind::emulated, 0});
  CHECK(to_string(device.device()) == "emulated:0");
  const Tensor t = Tensor::full({4}, 2.5f, float32, &device);
  CHECK(t.to_vector<float>() == std::vector<float>{2.5f, 2.5f, 2.5f, 2.5f});  // the right way
  const float* raw = internal::data<float>(t);
  CHECK((reinterpret_cast<std::uintptr_t>(raw) & testing::emulated_device_tag(0)) == testing::emulated_device_tag(0));
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::signal(SIGSEGV, SIG_DFL);  // doctest's (and a sanitizer's) crash handlers would report
    std::signal(SIGBUS, SIG_DFL);   // the child's fault as a failed test
    volatile float read = raw[0];  // the bug the guard exists for
    (void)read;
    _exit(0);  // reached only if the guard failed
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  // A fault (SIGSEGV/SIGBUS), or the sanitizer's abort on it; never a clean exit.
  CHECK(WIFSIGNALED(status));
}

TEST_CASE("emulated device: kernels refuse host memory and other devices' memory") {
  Backend& device = backend::get("emulated_device");
  Backend& other = backend::get("emulated_device:1");
  CHECK(&other != &device);
  CHECK(other.name() == "emulated_device:1");
  CHECK(other.device() == Device{DeviceKind::emulated, 1});
  std::vector<float> host(8, 1.0f);
  const Tensor t = Tensor::zeros({8}, float32, &device);
  try {
    device.affine(host.data(), internal::data<float>(t), host.size(), 2.0f, 0.0f);
    FAIL("expected a BackendError");
  } catch (const BackendError& e) {
    CHECK(std::string(e.what()).find("host memory") != std::string::npos);
  }
  const Tensor u = Tensor::ones({8}, float32, &other);
  CHECK_THROWS_AS(device.affine(internal::data<float>(u), internal::data<float>(t), 8, 2.0f, 0.0f), BackendError);
  // Between devices, a tensor moves with clone: peer to peer, no host read on either side.
  const SyncCounts before_device = device.sync_counts(), before_other = other.sync_counts();
  const Tensor moved = (u * 3.0f).clone(&device);
  CHECK(device.sync_counts().host_reads == before_device.host_reads);
  CHECK(other.sync_counts().host_reads == before_other.host_reads);
  CHECK(&moved.backend() == &device);
  CHECK(moved.to_vector<float>() == std::vector<float>(8, 3.0f));
  CHECK_THROWS_AS(backend::get("emulated_device:9"), BackendError);
  CHECK_THROWS_AS(backend::get("cpu:1"), BackendError);
  CHECK_THROWS_AS(backend::get("reference:x"), BackendError);
  CHECK(&backend::get("reference:0") == &backend::get("reference"));
}

TEST_CASE("emulated device: kernels return before they run, and a host read waits for them") {
  Backend& device = backend::get("emulated_device");
  Tensor x = Tensor::zeros({16}, float32, &device);
  device.synchronize();
  testing::hold_emulated_device(device, true);
  const Tensor y = x + 3.0f;  // queued behind the hold
  CHECK(testing::emulated_device_queue_length(device) >= 1);
  testing::hold_emulated_device(device, false);
  CHECK(y.to_vector<float>() == std::vector<float>(16, 3.0f));
  CHECK(testing::emulated_device_queue_length(device) == 0);
}

TEST_CASE("emulated device: work runs in queue order and host reads wait for it") {
  Backend& device = backend::get("emulated_device");
  const SyncCounts before = device.sync_counts();
  Tensor x = Tensor::full({1000}, 1.0f, float32, &device);
  for (int i = 0; i < 50; ++i) x = x * 2.0f + 1.0f;  // 50 queued kernels, each needing the last
  const auto v = x.to_vector<float>();
  CHECK(v.front() == doctest::Approx(std::ldexp(1.0, 51) - 1.0).epsilon(1e-6));
  CHECK(v.back() == v.front());
  const SyncCounts after = device.sync_counts();
  CHECK(after.host_reads - before.host_reads == 1);
  CHECK(after.synchronizations - before.synchronizations == 1);
}

TEST_CASE("emulated device: a bad label is reported at the next synchronization") {
  Backend& device = backend::get("emulated_device");
  const Tensor labels = Tensor::from_vector<std::int32_t>({1, 7, 2}, {3}, &device);
  const SyncCounts before = device.sync_counts();
  const Tensor encoded = ops::one_hot(labels, 4);  // queued; nothing is read yet
  CHECK(device.sync_counts().synchronizations == before.synchronizations);
  try {
    (void)encoded.to_vector<float>();
    FAIL("expected a ValueError");
  } catch (const ValueError& e) {
    CHECK(std::string(e.what()).find("label 7 at index 1") != std::string::npos);
  }
  (void)ops::one_hot(Tensor::from_vector<std::int32_t>({3, 0}, {2}, &device), 4).to_vector<float>();  // fine again
}

TEST_CASE("the emulated device records work for replay and refuses host reads while recording") {
  Backend& device = backend::get("emulated_device");
  REQUIRE(device.supports_capture());
  Tensor counter = Tensor::zeros({4}, float32, &device);
  const Tensor one = Tensor::full({4}, 1.0f, float32, &device);
  device.synchronize();
  device.begin_capture();
  std::unique_ptr<CapturedWork> work;
  {
    // A temporary of the recorded work: freed here, it stays reserved for the recording.
    const Tensor doubled = ops::add(one, one);
    counter.assign(ops::add(counter, doubled));
    CHECK_THROWS_WITH_AS(device.synchronize(), doctest::Contains("capture"), BackendError);
    CHECK_THROWS_AS(counter.to_vector<float>(), BackendError);
  }
  work = device.end_capture();
  CHECK(counter.to_vector<float>() == std::vector<float>(4, 0.0f));  // recorded, not run
  for (int i = 0; i < 3; ++i) device.replay(*work);
  CHECK(counter.to_vector<float>() == std::vector<float>(4, 6.0f));
  work.reset();  // frees the temporaries after the queued replays
  CHECK(counter.to_vector<float>() == std::vector<float>(4, 6.0f));
}

TEST_CASE("host backends do not record work for replay") {
  for (const auto& name : backend::available()) {
    Backend& b = backend::get(name);
    if (b.supports_capture()) continue;
    CAPTURE(name);
    CHECK_THROWS_AS(b.begin_capture(), BackendError);
  }
}
