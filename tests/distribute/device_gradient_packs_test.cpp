// fit's gradient packs in device memory (the path NCCL takes on GPUs), on the emulated device,
// whose memory the host cannot touch: a strategy that sums on the device gets the same weights
// as one that sums on the host, and no gradient goes through the host on the way.
#include <doctest/doctest.h>

#include "keras/keras.hpp"
#include "support/active_backend.hpp"

using namespace keras;

namespace {

// Two replicas in one process, the other one this one's twin (the same slices, so the same
// gradients): every sum doubles. Sums in the device's memory with the device's own kernels when
// `on_device`, on the host otherwise; packs of 256 bytes, so a model's gradients make many.
class TwinReplicas final : public distribute::Strategy {
 public:
  explicit TwinReplicas(bool on_device) : on_device_(on_device) {}
  int num_replicas_in_sync() const override { return 2; }
  int replica_id() const override { return 0; }
  void all_reduce_sum(float* values, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) values[i] *= 2.0f;
    ++host_sums;
  }
  void all_reduce_sum(double* values, std::size_t n) override {
    for (std::size_t i = 0; i < n; ++i) values[i] *= 2.0;
  }
  void broadcast_from_chief(void*, std::size_t) override {}
  std::size_t bytes_per_pack() const override { return 256; }
  bool sums_on_device(Backend& device) override { return on_device_ && !device.host_addressable(); }
  void submit_device_all_reduce_sum(Backend& device, float* values, std::size_t n) override {
    device.affine(values, values, n, 2.0f, 0.0f);
    ++device_sums;
  }
  void order_after_device_sums(Backend&) override { ++orders; }
  int host_sums = 0, device_sums = 0, orders = 0;

 private:
  bool on_device_;
};

std::vector<std::vector<float>> train(TwinReplicas& strategy) {
  using namespace keras::layers;
  utils::set_random_seed(5);
  Sequential model({Input({6, 6, 2}), Conv2D(3, 3, {.activation = "relu"}), BatchNormalization(), Flatten(),
                    Dense(4, {.activation = "softmax"})});
  {
    auto scope = strategy.scope();
    model.compile({.optimizer = optimizers::SGD({.learning_rate = 0.1, .momentum = 0.9}),
                   .loss = "sparse_categorical_crossentropy"});
  }
  const Tensor x = random::uniform({40, 6, 6, 2}, {.seed = 2});
  const Tensor y = random::randint({40}, 0, 4, {.seed = 3});
  model.fit(x, y, {.batch_size = 16, .epochs = 2, .verbose = 0});
  std::vector<std::vector<float>> weights;
  for (const Tensor& w : model.get_weights()) weights.push_back(w.to_vector<float>());
  return weights;
}

}  // namespace

TEST_CASE("gradient packs in device memory give the host packs' weights, with no gradient through the host") {
  const test_support::ActiveBackend device("emulated_device");
  TwinReplicas on_host(false), on_device(true);
  const auto reads = [] { return backend::get().sync_counts().host_reads; };
  const std::uint64_t start = reads();
  const auto host_weights = train(on_host);
  const std::uint64_t middle = reads();
  const auto device_weights = train(on_device);
  const std::uint64_t end = reads();
  REQUIRE(host_weights.size() == device_weights.size());
  for (std::size_t i = 0; i < host_weights.size(); ++i) CHECK(host_weights[i] == device_weights[i]);
  // 3 batches an epoch, 2 epochs; 259 gradient floats in packs of up to 64 (the Dense kernel's
  // 192 are one of their own).
  CHECK(on_device.device_sums >= 6 * 3);
  CHECK(on_device.orders == 6);
  CHECK(on_host.device_sums == 0);
  // The host path reads each of the 6 gradients of each of the 6 steps; the device path none.
  CHECK(middle - start >= end - middle + 36);
}
