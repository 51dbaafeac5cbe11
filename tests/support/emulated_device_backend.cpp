#include "support/emulated_device_backend.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "keras/core/errors.hpp"
#include "keras/internal/backend_factories.hpp"
#include "keras/internal/captured_memory.hpp"

namespace keras::testing {
namespace {

constexpr int kDevices = 4;
constexpr std::uintptr_t kTagMask = std::uintptr_t{0x7f} << 56;

class EmulatedDevice final : public Backend {
 public:
  explicit EmulatedDevice(int index)
      : index_(index), tag_(emulated_device_tag(index)), kernels_(internal::make_reference_backend()),
        worker_([this] { run(); }) {}
  ~EmulatedDevice() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }

  std::string name() const override {
    return index_ == 0 ? "emulated_device" : "emulated_device:" + std::to_string(index_);
  }
  Device device() const override { return {DeviceKind::emulated, index_}; }
  bool host_addressable() const override { return false; }

  void synchronize() override {
    refuse_while_capturing("synchronize");
    synchronizations_.fetch_add(1, std::memory_order_relaxed);
    wait_idle();
  }

  // --- capture: this thread's work is recorded instead of queued; a replay queues it again --
  bool supports_capture() const override { return true; }
  void begin_capture() override {
    std::lock_guard lock(mutex_);
    if (capturing_) throw BackendError(name() + ": begin_capture while another capture is recording");
    capturing_ = true;
    capture_thread_ = std::this_thread::get_id();
    capture_id_ = next_capture_id_++;
    captured_memory_.begin(capture_id_);
    ++captures_;
  }
  std::unique_ptr<CapturedWork> end_capture() override {
    std::lock_guard lock(mutex_);
    if (!capturing_ || capture_thread_ != std::this_thread::get_id()) {
      throw BackendError(name() + ": end_capture without a capture recording on this thread");
    }
    capturing_ = false;
    captured_memory_.end();
    return std::make_unique<Recording>(*this, capture_id_, std::exchange(recorded_, {}));
  }
  void abort_capture() noexcept override {
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex_);
      if (!capturing_ || capture_thread_ != std::this_thread::get_id()) return;
      capturing_ = false;
      captured_memory_.end();
      recorded_.clear();
      id = capture_id_;
    }
    release_capture(id);
  }
  void replay(CapturedWork& work) override {
    auto* recording = dynamic_cast<Recording*>(&work);
    if (!recording || &recording->owner != this) {
      throw BackendError(name() + ": replay of work that another backend recorded");
    }
    refuse_while_capturing("replay");
    {
      std::lock_guard lock(mutex_);
      for (const Work& w : recording->work) queue_.push_back(w);
      ++replays_;
      ++enqueued_;
    }
    changed_.notify_all();
  }
  std::tuple<std::uint64_t, std::uint64_t, std::uint64_t> capture_counts() {
    std::lock_guard lock(mutex_);
    return {captures_, replays_, enqueued_};
  }
  void hold(bool held) {
    {
      std::lock_guard lock(mutex_);
      held_ = held;
    }
    changed_.notify_all();
  }
  std::size_t queue_length() {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }
  SyncCounts sync_counts() const override {
    return {synchronizations_.load(std::memory_order_relaxed), host_reads_.load(std::memory_order_relaxed)};
  }

  // --- memory: allocation is immediate (like cudaMalloc), freeing is queue-ordered ---------
  void* allocate(std::size_t bytes) override {
    {
      std::lock_guard lock(mutex_);
      if (void* again = captured_memory_.reuse(bytes, recording_here())) {  // a recording's own temporary
        live_.insert(again);
        return tag(again);
      }
    }
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) throw std::bad_alloc();
    std::lock_guard lock(mutex_);
    live_.insert(p);
    captured_memory_.allocated(p, bytes, recording_here());
    return tag(p);
  }
  void deallocate(void* ptr) noexcept override {
    if (!ptr) return;
    void* real = untag(ptr, "deallocate");
    {
      std::lock_guard lock(mutex_);
      if (live_.erase(real) != 1) {  // noexcept: a bug in the engine, stop loudly
        std::fprintf(stderr, "%s: deallocate of %p, which is not a live allocation of this device\n",
                     name().c_str(), ptr);
        std::abort();
      }
      if (captured_memory_.keep(real, recording_here())) return;  // a recording still uses it
    }
    try {
      submit("deallocate", [real] { std::free(real); });
    } catch (...) {  // out of memory for the queue entry: wait, then free here
      wait_idle();
      std::free(real);
    }
  }
  void copy_from_host(void* dst, const void* host_src, std::size_t bytes) override {
    check_host(host_src, "copy_from_host");
    // Staged now: the caller may reuse its buffer as soon as this returns.
    auto staging = std::make_shared<std::vector<char>>(static_cast<const char*>(host_src),
                                                       static_cast<const char*>(host_src) + bytes);
    void* d = untag(dst, "copy_from_host");
    submit("copy_from_host", [d, staging] {
      if (!staging->empty()) std::memcpy(d, staging->data(), staging->size());
    });
  }
  void copy_to_host(void* host_dst, const void* src, std::size_t bytes) override {
    check_host(host_dst, "copy_to_host");
    refuse_while_capturing("copy_to_host");
    const void* s = untag(src, "copy_to_host");
    host_reads_.fetch_add(1, std::memory_order_relaxed);
    synchronize();
    if (bytes) std::memcpy(host_dst, s, bytes);
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    void* d = untag(dst, "copy");
    const void* s = untag(src, "copy");
    submit("copy", [d, s, bytes] {
      if (bytes) std::memmove(d, s, bytes);
    });
  }
  // Peer to peer, as cudaMemcpyPeerAsync between two streams: the copy runs on this queue after
  // the work already on both queues, and the peer's later work waits for it. No host buffer.
  // (Two threads copying opposite ways at once could deadlock the two workers; the engine
  // copies from the thread that runs the model.)
  void copy_to_backend(Backend& dst_backend, void* dst, const void* src, std::size_t bytes) override {
    auto* peer = dynamic_cast<EmulatedDevice*>(&dst_backend);
    if (peer == nullptr || peer == this) {
      Backend::copy_to_backend(dst_backend, dst, src, bytes);
      return;
    }
    const void* s = untag(src, "copy_to_backend");
    void* d = peer->untag(dst, "copy_to_backend");
    auto peer_ready = std::make_shared<std::promise<void>>();
    auto copied = std::make_shared<std::promise<void>>();
    peer->submit("copy_to_backend (wait)", [peer_ready, done = copied->get_future().share()] {
      peer_ready->set_value();
      done.wait();
    });
    submit("copy_to_backend", [s, d, bytes, ready = peer_ready->get_future().share(), copied] {
      ready.wait();
      if (bytes) std::memcpy(d, s, bytes);
      copied->set_value();
    });
  }
  void fill(float* y, std::size_t n, float value) override {
    enqueue("fill", [=](Backend& k, auto y) { k.fill(y, n, value); }, y);
  }
  void cast(const void* x, DType from, void* y, DType to, std::size_t n) override {
    enqueue("cast", [=](Backend& k, auto x, auto y) { k.cast(x, from, y, to, n); }, x, y);
  }

  void random_uniform(float* y, std::size_t n, std::uint64_t seed, float low, float high) override {
    enqueue("random_uniform", [=](Backend& k, auto y) { k.random_uniform(y, n, seed, low, high); }, y);
  }
  void random_normal(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) override {
    enqueue("random_normal", [=](Backend& k, auto y) { k.random_normal(y, n, seed, mean, stddev); }, y);
  }
  void dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) override {
    enqueue("dropout_mask", [=](Backend& k, auto mask) { k.dropout_mask(mask, n, seed, rate); }, mask);
  }
  // The seed is read when the kernel runs, as the cuda kernels read it.
  void random_uniform_at(float* y, std::size_t n, const std::uint64_t* seed, float low, float high) override {
    enqueue("random_uniform_at", [=](Backend& k, auto y, auto seed) { k.random_uniform(y, n, *seed, low, high); }, y, seed);
  }
  void random_normal_at(float* y, std::size_t n, const std::uint64_t* seed, float mean, float stddev) override {
    enqueue("random_normal_at", [=](Backend& k, auto y, auto seed) { k.random_normal(y, n, *seed, mean, stddev); }, y, seed);
  }
  void dropout_mask_at(float* mask, std::size_t n, const std::uint64_t* seed, float rate) override {
    enqueue("dropout_mask_at", [=](Backend& k, auto mask, auto seed) { k.dropout_mask(mask, n, *seed, rate); }, mask, seed);
  }

  void unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) override {
    enqueue("unary", [=](Backend& k, auto x, auto y) { k.unary(op, p, x, y, n); }, x, y);
  }
  void unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy, float* dx,
                      std::size_t n) override {
    enqueue("unary_backward", [=](Backend& k, auto x, auto y, auto dy, auto dx) { k.unary_backward(op, p, x, y, dy, dx, n); }, x, y, dy, dx);
  }
  void binary(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec) override {
    enqueue("binary", [=](Backend& k, auto a, auto b, auto y) { k.binary(op, a, b, y, spec); }, a, b, y);
  }
  void affine(const float* x, float* y, std::size_t n, float scale, float shift) override {
    enqueue("affine", [=](Backend& k, auto x, auto y) { k.affine(x, y, n, scale, shift); }, x, y);
  }
  void select_mask(BinaryOp op, const float* a, const float* b, float* mask_a, const BroadcastSpec& spec) override {
    enqueue("select_mask", [=](Backend& k, auto a, auto b, auto mask_a) { k.select_mask(op, a, b, mask_a, spec); }, a, b, mask_a);
  }

  void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner) override {
    enqueue("reduce_sum", [=](Backend& k, auto x, auto y) { k.reduce_sum(x, y, outer, mid, inner); }, x, y);
  }
  void reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer, std::int64_t mid,
                  std::int64_t inner) override {
    enqueue("reduce_max", [=](Backend& k, auto x, auto y, auto argmax) { k.reduce_max(x, y, argmax, outer, mid, inner); }, x, y, argmax);
  }
  void expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner,
                  float scale) override {
    enqueue("expand_mid", [=](Backend& k, auto x, auto y) { k.expand_mid(x, y, outer, mid, inner, scale); }, x, y);
  }
  void scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t outer,
                      std::int64_t mid, std::int64_t inner) override {
    enqueue("scatter_argmax", [=](Backend& k, auto dy, auto argmax, auto dx) { k.scatter_argmax(dy, argmax, dx, outer, mid, inner); }, dy, argmax, dx);
  }
  void copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
                 std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t rows, std::int64_t len,
                 bool accumulate) override {
    enqueue("copy_rows", [=](Backend& k, auto src, auto dst) {
      k.copy_rows(src, src_stride, src_offset, dst, dst_stride, dst_offset, rows, len, accumulate);
    }, src, dst);
  }
  void gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows, std::size_t count,
                   void* dst) override {
    check_host(rows, "gather_rows (rows)");
    std::vector<std::int64_t> staged(rows, rows + count);  // host memory: consumed now
    enqueue("gather_rows", [=, staged = std::move(staged)](Backend& k, auto src, auto dst) {
      k.gather_rows(src, row_bytes, staged.data(), count, dst);
    }, src, dst);
  }

  void transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                 const std::vector<int>& perm) override {
    enqueue("transpose", [=](Backend& k, auto x, auto y) { k.transpose(x, y, elem_bytes, dims, perm); }, x, y);
  }
  void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t kk, float alpha,
            const void* a, const void* b, float beta, void* c, DType dtype) override {
    enqueue("gemm", [=](Backend& k, auto a, auto b, auto c) { k.gemm(transpose_a, transpose_b, m, n, kk, alpha, a, b, beta, c, dtype); }, a, b, c);
  }
  void bias_add(const float* x, const float* bias, float* y, std::int64_t rows, std::int64_t cols,
                FusedActivation act) override {
    enqueue("bias_add", [=](Backend& k, auto x, auto bias, auto y) { k.bias_add(x, bias, y, rows, cols, act); }, x, bias, y);
  }

  void conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w, const void* bias,
                      FusedActivation act, void* y) override {
    enqueue("conv2d_forward", [=](Backend& k, auto x, auto w, auto bias, auto y) { k.conv2d_forward(g, x, w, bias, act, y); }, x, w, bias, y);
  }
  void conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w, void* dx) override {
    enqueue("conv2d_backward_data", [=](Backend& k, auto dy, auto w, auto dx) { k.conv2d_backward_data(g, dy, w, dx); }, dy, w, dx);
  }
  void conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy, void* dw) override {
    enqueue("conv2d_backward_filter", [=](Backend& k, auto x, auto dy, auto dw) { k.conv2d_backward_filter(g, x, dy, dw); }, x, dy, dw);
  }

  void pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x, float* y) override {
    enqueue("pool2d_forward", [=](Backend& k, auto x, auto y) { k.pool2d_forward(mode, g, x, y); }, x, y);
  }
  void pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x, const float* y, const float* dy,
                       float* dx) override {
    enqueue("pool2d_backward", [=](Backend& k, auto x, auto y, auto dy, auto dx) { k.pool2d_backward(mode, g, x, y, dy, dx); }, x, y, dy, dx);
  }
  void pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c,
             std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right, float value) override {
    enqueue("pad2d", [=](Backend& k, auto x, auto y) { k.pad2d(x, y, n, h, w, c, top, bottom, left, right, value); }, x, y);
  }
  void crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c,
              std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) override {
    enqueue("crop2d", [=](Backend& k, auto x, auto y) { k.crop2d(x, y, n, h, w, c, top, bottom, left, right); }, x, y);
  }
  void resize2d_forward(Interpolation mode, const float* x, std::int64_t n, std::int64_t h, std::int64_t w,
                        std::int64_t c, float* y, std::int64_t out_h, std::int64_t out_w) override {
    enqueue("resize2d_forward", [=](Backend& k, auto x, auto y) { k.resize2d_forward(mode, x, n, h, w, c, y, out_h, out_w); }, x, y);
  }
  void resize2d_backward(Interpolation mode, const float* dy, std::int64_t n, std::int64_t h, std::int64_t w,
                         std::int64_t c, float* dx, std::int64_t out_h, std::int64_t out_w) override {
    enqueue("resize2d_backward",
            [=](Backend& k, auto dy, auto dx) { k.resize2d_backward(mode, dy, n, h, w, c, dx, out_h, out_w); }, dy, dx);
  }

  void batch_norm_training(const float* x, const float* gamma, const float* beta, std::int64_t rows,
                           std::int64_t channels, float epsilon, float* y, float* mean, float* variance) override {
    enqueue("batch_norm_training", [=](Backend& k, auto x, auto gamma, auto beta, auto y, auto mean, auto variance) {
      k.batch_norm_training(x, gamma, beta, rows, channels, epsilon, y, mean, variance);
    }, x, gamma, beta, y, mean, variance);
  }
  void batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                            const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                            float* y) override {
    enqueue("batch_norm_inference", [=](Backend& k, auto x, auto gamma, auto beta, auto mean, auto variance, auto y) {
      k.batch_norm_inference(x, gamma, beta, mean, variance, rows, channels, epsilon, y);
    }, x, gamma, beta, mean, variance, y);
  }
  void batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                           const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                           float* dx, float* dgamma, float* dbeta) override {
    enqueue("batch_norm_backward", [=](Backend& k, auto dy, auto x, auto gamma, auto mean, auto variance, auto dx, auto dgamma, auto dbeta) {
      k.batch_norm_backward(dy, x, gamma, mean, variance, rows, channels, epsilon, dx, dgamma, dbeta);
    }, dy, x, gamma, mean, variance, dx, dgamma, dbeta);
  }

  void softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log) override {
    enqueue("softmax_forward", [=](Backend& k, auto x, auto y) { k.softmax_forward(x, y, rows, cols, log); }, x, y);
  }
  void softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows, std::int64_t cols,
                        bool log) override {
    enqueue("softmax_backward", [=](Backend& k, auto y, auto dy, auto dx) { k.softmax_backward(y, dy, dx, rows, cols, log); }, y, dy, dx);
  }

  void one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
               std::int32_t* invalid) override {
    enqueue("one_hot", [=](Backend& k, auto labels, auto y, auto invalid) { k.one_hot(labels, n, depth, y, invalid); }, labels, y, invalid);
  }

  void adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                   float one_minus_beta_1, float one_minus_beta_2, float epsilon) override {
    enqueue("adam_update", [=](Backend& k, auto var, auto m, auto v, auto v_max, auto g) {
      k.adam_update(var, m, v, v_max, g, n, alpha, one_minus_beta_1, one_minus_beta_2, epsilon);
    }, var, m, v, v_max, g);
  }
  void sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum,
                  bool nesterov) override {
    enqueue("sgd_update", [=](Backend& k, auto var, auto m, auto g) { k.sgd_update(var, m, g, n, lr, momentum, nesterov); }, var, m, g);
  }
  // A group is one queued kernel, as on cuda; the _at forms read their scalar when it runs.
  void adam_update_group(const AdamTensors* tensors, std::size_t count, float alpha, float one_minus_beta_1,
                         float one_minus_beta_2, float epsilon) override {
    adam_group("adam_update_group", tensors, count, nullptr, alpha, nullptr, one_minus_beta_1, one_minus_beta_2,
               epsilon);
  }
  void adam_update_group_at(const AdamTensors* tensors, std::size_t count, const float* alpha, const float* gate,
                            float one_minus_beta_1, float one_minus_beta_2, float epsilon) override {
    adam_group("adam_update_group_at", tensors, count, alpha, 0.0f, gate, one_minus_beta_1, one_minus_beta_2, epsilon);
  }
  void sgd_update_group(const SgdTensors* tensors, std::size_t count, float lr, float momentum,
                        bool nesterov) override {
    sgd_group("sgd_update_group", tensors, count, nullptr, lr, nullptr, momentum, nesterov);
  }
  void sgd_update_group_at(const SgdTensors* tensors, std::size_t count, const float* lr, const float* gate,
                           float momentum, bool nesterov) override {
    sgd_group("sgd_update_group_at", tensors, count, lr, 0.0f, gate, momentum, nesterov);
  }
  void rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                      std::size_t n, float lr, float rho, float momentum, float epsilon) override {
    enqueue("rmsprop_update", [=](Backend& k, auto var, auto velocity, auto momentum_slot, auto average, auto g) {
      k.rmsprop_update(var, velocity, momentum_slot, average, g, n, lr, rho, momentum, epsilon);
    }, var, velocity, momentum_slot, average, g);
  }
  void adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr,
                      float epsilon) override {
    enqueue("adagrad_update", [=](Backend& k, auto var, auto accumulator, auto g) { k.adagrad_update(var, accumulator, g, n, lr, epsilon); }, var, accumulator, g);
  }
  void nadam_update(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                    float one_minus_beta_2, float m_scale, float g_scale, float v_divisor, float lr,
                    float epsilon) override {
    enqueue("nadam_update", [=](Backend& k, auto var, auto m, auto v, auto g) {
      k.nadam_update(var, m, v, g, n, one_minus_beta_1, one_minus_beta_2, m_scale, g_scale, v_divisor, lr, epsilon);
    }, var, m, v, g);
  }
  void rmsprop_update_at(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                         std::size_t n, const float* lr, const float* gate, float rho, float momentum,
                         float epsilon) override {
    enqueue("rmsprop_update_at", [=](Backend& k, auto var, auto velocity, auto momentum_slot, auto average, auto g,
                                     auto lr, auto open) {
      if (open && *open == 0.0f) return;
      k.rmsprop_update(var, velocity, momentum_slot, average, g, n, *lr, rho, momentum, epsilon);
    }, var, velocity, momentum_slot, average, g, lr, gate);
  }
  void adagrad_update_at(float* var, float* accumulator, const float* g, std::size_t n, const float* lr,
                         const float* gate, float epsilon) override {
    enqueue("adagrad_update_at", [=](Backend& k, auto var, auto accumulator, auto g, auto lr, auto open) {
      if (open && *open == 0.0f) return;
      k.adagrad_update(var, accumulator, g, n, *lr, epsilon);
    }, var, accumulator, g, lr, gate);
  }
  void nadam_update_at(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                       float one_minus_beta_2, const float* scalars, const float* gate, float epsilon) override {
    enqueue("nadam_update_at", [=](Backend& k, auto var, auto m, auto v, auto g, auto at, auto open) {
      if (open && *open == 0.0f) return;
      k.nadam_update(var, m, v, g, n, one_minus_beta_1, one_minus_beta_2, at[0], at[1], at[2], at[3], epsilon);
    }, var, m, v, g, scalars, gate);
  }

  void augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                      void* y) override {
    check_host(transforms, "augment_images (transforms)");
    std::vector<ImageTransform> staged(transforms, transforms + a.batch);  // host memory: consumed now
    enqueue("augment_images", [=, staged = std::move(staged)](Backend& k, auto x, auto y) {
      k.augment_images(a, staged.data(), x, y);
    }, x, y);
  }

 private:
  void* tag(void* p) const { return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) | tag_); }

  // The real address of one of this device's pointers; anything else is a bug in the caller.
  template <class T>
  T* untag(T* p, const char* kernel) const {
    if (!p) return p;
    const auto bits = reinterpret_cast<std::uintptr_t>(p);
    if ((bits & kTagMask) != tag_) {
      throw BackendError(name() + ": " + kernel + " was given a pointer that is not memory of this device (" +
                         ((bits & kTagMask) ? "another device's" : "host memory") +
                         "); move the tensor here with clone(&backend) first");
    }
    return reinterpret_cast<T*>(bits & ~kTagMask);
  }
  void check_host(const void* p, const char* what) const {
    if (p && (reinterpret_cast<std::uintptr_t>(p) & kTagMask)) {
      throw BackendError(name() + ": " + what + " needs host memory but was given device memory");
    }
  }

  // Untags every pointer now (so a wrong one fails in the caller, with its stack) and queues
  // f(reference kernels, real pointers...).
  template <class F, class... Ptrs>
  void enqueue(const char* kernel, F f, Ptrs... ptrs) {
    auto real = std::make_tuple(untag(ptrs, kernel)...);
    submit(kernel, [this, f = std::move(f), real]() mutable {
      std::apply([&](auto... p) { f(*kernels_, p...); }, real);
    });
  }

  // `scalar_at` (this device's memory) when given, else `scalar`, is read when the kernel runs.
  void adam_group(const char* kernel, const AdamTensors* tensors, std::size_t count, const float* scalar_at,
                  float scalar, const float* gate, float one_minus_beta_1, float one_minus_beta_2, float epsilon) {
    check_host(tensors, kernel);
    std::vector<AdamTensors> group(tensors, tensors + count);  // host memory: consumed now
    for (auto& t : group) {
      t = {untag(t.var, kernel), untag(t.m, kernel), untag(t.v, kernel), untag(t.v_max, kernel), untag(t.g, kernel),
           t.n};
    }
    enqueue(kernel, [=, group = std::move(group)](Backend& k, auto at, auto open) {
      if (open && *open == 0.0f) return;
      k.adam_update_group(group.data(), group.size(), at ? *at : scalar, one_minus_beta_1, one_minus_beta_2, epsilon);
    }, scalar_at, gate);
  }
  void sgd_group(const char* kernel, const SgdTensors* tensors, std::size_t count, const float* scalar_at, float scalar,
                 const float* gate, float momentum, bool nesterov) {
    check_host(tensors, kernel);
    std::vector<SgdTensors> group(tensors, tensors + count);
    for (auto& t : group) t = {untag(t.var, kernel), untag(t.m, kernel), untag(t.g, kernel), t.n};
    enqueue(kernel, [=, group = std::move(group)](Backend& k, auto at, auto open) {
      if (open && *open == 0.0f) return;
      k.sgd_update_group(group.data(), group.size(), at ? *at : scalar, momentum, nesterov);
    }, scalar_at, gate);
  }

  void submit(const char* kernel, std::function<void()> work) {
    {
      std::lock_guard lock(mutex_);
      if (recording_here()) {
        recorded_.push_back({kernel, std::move(work)});
        return;
      }
      queue_.push_back({kernel, std::move(work)});
      if (std::strncmp(kernel, "deallocate", 10) != 0) ++enqueued_;  // a free is no launch on a GPU
    }
    changed_.notify_all();
  }

  bool recording_here() const { return capturing_ && capture_thread_ == std::this_thread::get_id(); }  // mutex_ held
  // What a CUDA stream refuses while capturing: the host cannot wait for work that is not run.
  void refuse_while_capturing(const char* what) {
    std::lock_guard lock(mutex_);
    if (recording_here()) {
      throw BackendError(name() + ": " + what + " while a capture is recording on this thread: a captured step "
                         "must not read values on the host or wait for the device");
    }
  }

  struct Work {
    const char* kernel;
    std::function<void()> run;
  };
  struct Recording final : CapturedWork {
    Recording(EmulatedDevice& device, std::uint64_t id, std::vector<Work> recorded)
        : owner(device), id(id), work(std::move(recorded)) {}
    ~Recording() override { owner.release_capture(id); }
    EmulatedDevice& owner;
    std::uint64_t id;
    std::vector<Work> work;
  };
  // Frees what only the recording still reserved, after any replay already queued.
  void release_capture(std::uint64_t id) noexcept {
    std::vector<void*> blocks;
    {
      std::lock_guard lock(mutex_);
      blocks = captured_memory_.release(id);
    }
    for (void* real : blocks) {
      try {
        submit("deallocate (recording)", [real] { std::free(real); });
      } catch (...) {
        wait_idle();
        std::free(real);
      }
    }
  }

  void wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
    if (error_) {
      std::exception_ptr e = std::exchange(error_, nullptr);
      const std::string kernel = error_kernel_;
      lock.unlock();
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        throw BackendError(name() + ": queued kernel " + kernel + " failed: " + ex.what());
      }
    }
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return stopping_ || (!queue_.empty() && !held_); });
      if (queue_.empty()) return;  // stopping, and everything ran
      Work work = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      try {
        work.run();
      } catch (...) {
        std::lock_guard relock(mutex_);
        if (!error_) {
          error_ = std::current_exception();
          error_kernel_ = work.kernel;
        }
      }
      lock.lock();
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
    }
  }

  const int index_;
  const std::uintptr_t tag_;
  std::unique_ptr<Backend> kernels_;
  std::atomic<std::uint64_t> synchronizations_{0}, host_reads_{0};
  std::mutex mutex_;
  std::condition_variable changed_, idle_;
  std::deque<Work> queue_;
  // The real addresses of live allocations: a leak checker sees only tagged pointers elsewhere.
  std::unordered_set<void*> live_;
  bool busy_ = false, stopping_ = false, held_ = false;
  std::exception_ptr error_;
  std::string error_kernel_;
  // The capture recording, if any: its thread, its work so far, and the memory it reserves.
  bool capturing_ = false;
  std::thread::id capture_thread_;
  std::uint64_t capture_id_ = 0, next_capture_id_ = 1;
  std::vector<Work> recorded_;
  internal::CapturedMemory captured_memory_;
  std::uint64_t captures_ = 0, replays_ = 0, enqueued_ = 0;
  std::thread worker_;
};

EmulatedDevice& as_emulated(Backend& backend) {
  auto* device = dynamic_cast<EmulatedDevice*>(&backend);
  if (!device) throw BackendError("'" + backend.name() + "' is not an emulated device");
  return *device;
}

}  // namespace

void hold_emulated_device(Backend& backend, bool held) { as_emulated(backend).hold(held); }

std::size_t emulated_device_queue_length(Backend& backend) { return as_emulated(backend).queue_length(); }

EmulatedCaptureCounts emulated_device_capture_counts(Backend& backend) {
  const auto [captures, replays, enqueued] = as_emulated(backend).capture_counts();
  return {captures, replays, enqueued};
}

std::uintptr_t emulated_device_tag(int index) { return std::uintptr_t(0x40 + index) << 56; }

void register_emulated_device_backend() {
  internal::register_backend("emulated_device", [](int index) -> std::unique_ptr<Backend> {
    if (index < 0 || index >= kDevices) {
      throw BackendError("backend 'emulated_device:" + std::to_string(index) + "' does not exist: the emulated "
                         "device backend has devices 0 to " + std::to_string(kDevices - 1));
    }
    return std::make_unique<EmulatedDevice>(index);
  });
}

}  // namespace keras::testing
