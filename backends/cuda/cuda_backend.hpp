#pragma once
// The CUDA backend: one instance per GPU, one stream per instance. cuDNN for convolutions,
// cuBLAS for matrix products, our own kernels (sharing backends/common/element_rules.hpp with
// the host backends) for everything else. docs/backends.md says how it is built and what was
// verified on which GPU.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "algorithm_cache.hpp"
#include "caching_allocator.hpp"
#include "cublas_library.hpp"
#include "keras/core/backend.hpp"
#include "keras/internal/captured_memory.hpp"

namespace keras::cuda_backend {

// A convolution algorithm as cuDNN numbers them within each direction, with the workspace and
// math mode its heuristics gave it.
struct ConvChoice {
  int algorithm = 0;
  std::size_t workspace = 0;
  int math_type = 0;  // cudnnMathType_t
  friend bool operator==(const ConvChoice&, const ConvChoice&) = default;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index);
  ~CudaBackend() override;

  std::string name() const override { return index_ == 0 ? "cuda" : "cuda:" + std::to_string(index_); }
  Device device() const override { return {DeviceKind::cuda, index_}; }
  bool host_addressable() const override { return false; }
  void synchronize() override;
  SyncCounts sync_counts() const override;

  void* allocate(std::size_t bytes) override;
  void deallocate(void* ptr) noexcept override;
  void copy_from_host(void* dst, const void* src, std::size_t bytes) override;
  void copy_to_host(void* dst, const void* src, std::size_t bytes) override;
  void copy(void* dst, const void* src, std::size_t bytes) override;
  void copy_to_backend(Backend& dst_backend, void* dst, const void* src, std::size_t bytes) override;
  void fill(float* y, std::size_t n, float value) override;
  void cast(const void* x, DType from, void* y, DType to, std::size_t n) override;

  void random_uniform(float* y, std::size_t n, std::uint64_t seed, float low, float high) override;
  void random_normal(float* y, std::size_t n, std::uint64_t seed, float mean, float stddev) override;
  void dropout_mask(float* mask, std::size_t n, std::uint64_t seed, float rate) override;
  void random_uniform_at(float* y, std::size_t n, const std::uint64_t* seed, float low, float high) override;
  void random_normal_at(float* y, std::size_t n, const std::uint64_t* seed, float mean, float stddev) override;
  void dropout_mask_at(float* mask, std::size_t n, const std::uint64_t* seed, float rate) override;

  // Capture into a CUDA graph (capture.cu): the recording thread's work goes to a capture
  // stream while other threads keep using the backend's stream; replays launch on the latter.
  bool supports_capture() const override { return true; }
  void begin_capture() override;
  std::unique_ptr<CapturedWork> end_capture() override;
  void abort_capture() noexcept override;
  void replay(CapturedWork& work) override;

  void unary(UnaryOp op, UnaryParams p, const float* x, float* y, std::size_t n) override;
  void unary_backward(UnaryOp op, UnaryParams p, const float* x, const float* y, const float* dy, float* dx,
                      std::size_t n) override;
  void binary(BinaryOp op, const float* a, const float* b, float* y, const BroadcastSpec& spec) override;
  void affine(const float* x, float* y, std::size_t n, float scale, float shift) override;
  void select_mask(BinaryOp op, const float* a, const float* b, float* mask_a, const BroadcastSpec& spec) override;

  void reduce_sum(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner) override;
  void reduce_max(const float* x, float* y, std::int32_t* argmax, std::int64_t outer, std::int64_t mid,
                  std::int64_t inner) override;
  void expand_mid(const float* x, float* y, std::int64_t outer, std::int64_t mid, std::int64_t inner,
                  float scale) override;
  void scatter_argmax(const float* dy, const std::int32_t* argmax, float* dx, std::int64_t outer,
                      std::int64_t mid, std::int64_t inner) override;
  void copy_rows(const float* src, std::int64_t src_stride, std::int64_t src_offset, float* dst,
                 std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t rows, std::int64_t len,
                 bool accumulate) override;
  void gather_rows(const void* src, std::size_t row_bytes, const std::int64_t* rows, std::size_t count,
                   void* dst) override;
  void transpose(const void* x, void* y, std::size_t elem_bytes, const std::vector<std::int64_t>& dims,
                 const std::vector<int>& perm) override;

  void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
            const void* a, const void* b, float beta, void* c, DType dtype) override;
  void bias_add(const float* x, const float* bias, float* y, std::int64_t rows, std::int64_t cols,
                FusedActivation act) override;

  void conv2d_forward(const Conv2DGeometry& g, const void* x, const void* w, const void* bias,
                      FusedActivation act, void* y) override;
  void conv2d_backward_data(const Conv2DGeometry& g, const void* dy, const void* w, void* dx) override;
  void conv2d_backward_filter(const Conv2DGeometry& g, const void* x, const void* dy, void* dw) override;

  void pool2d_forward(PoolMode mode, const Pool2DGeometry& g, const float* x, float* y) override;
  void pool2d_backward(PoolMode mode, const Pool2DGeometry& g, const float* x, const float* y, const float* dy,
                       float* dx) override;
  void pad2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c,
             std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right, float value) override;
  void crop2d(const float* x, float* y, std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c,
              std::int64_t top, std::int64_t bottom, std::int64_t left, std::int64_t right) override;
  void resize2d_forward(Interpolation mode, const float* x, std::int64_t n, std::int64_t h, std::int64_t w,
                        std::int64_t c, float* y, std::int64_t out_h, std::int64_t out_w) override;
  void resize2d_backward(Interpolation mode, const float* dy, std::int64_t n, std::int64_t h, std::int64_t w,
                         std::int64_t c, float* dx, std::int64_t out_h, std::int64_t out_w) override;

  void batch_norm_training(const float* x, const float* gamma, const float* beta, std::int64_t rows,
                           std::int64_t channels, float epsilon, float* y, float* mean, float* variance) override;
  void batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                            const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                            float* y) override;
  void batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                           const float* variance, std::int64_t rows, std::int64_t channels, float epsilon,
                           float* dx, float* dgamma, float* dbeta) override;

  void softmax_forward(const float* x, float* y, std::int64_t rows, std::int64_t cols, bool log) override;
  void softmax_backward(const float* y, const float* dy, float* dx, std::int64_t rows, std::int64_t cols,
                        bool log) override;

  void one_hot(const std::int32_t* labels, std::size_t n, std::int64_t depth, float* y,
               std::int32_t* invalid) override;

  void adam_update(float* var, float* m, float* v, float* v_max, const float* g, std::size_t n, float alpha,
                   float one_minus_beta_1, float one_minus_beta_2, float epsilon) override;
  void sgd_update(float* var, float* m, const float* g, std::size_t n, float lr, float momentum,
                  bool nesterov) override;
  void rmsprop_update(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                      std::size_t n, float lr, float rho, float momentum, float epsilon) override;
  void adagrad_update(float* var, float* accumulator, const float* g, std::size_t n, float lr,
                      float epsilon) override;
  void nadam_update(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                    float one_minus_beta_2, float m_scale, float g_scale, float v_divisor, float lr,
                    float epsilon) override;
  void rmsprop_update_at(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                         std::size_t n, const float* lr, const float* gate, float rho, float momentum,
                         float epsilon) override;
  void adagrad_update_at(float* var, float* accumulator, const float* g, std::size_t n, const float* lr,
                         const float* gate, float epsilon) override;
  void nadam_update_at(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                       float one_minus_beta_2, const float* scalars, const float* gate, float epsilon) override;
  void augment_images(const ImageAugmentation& a, const ImageTransform* transforms, const void* x,
                      void* y) override;
  void adam_update_group(const AdamTensors* tensors, std::size_t count, float alpha, float one_minus_beta_1,
                         float one_minus_beta_2, float epsilon) override;
  void sgd_update_group(const SgdTensors* tensors, std::size_t count, float lr, float momentum,
                        bool nesterov) override;
  void adam_update_group_at(const AdamTensors* tensors, std::size_t count, const float* alpha, const float* gate,
                            float one_minus_beta_1, float one_minus_beta_2, float epsilon) override;
  void sgd_update_group_at(const SgdTensors* tensors, std::size_t count, const float* lr, const float* gate,
                           float momentum, bool nesterov) override;

  // For the tests and error messages.
  CachingAllocator::Stats allocator_stats() const;
  std::size_t cached_convolution_algorithms() const;

  // Internal: a scratch buffer of this device, freed (queue-ordered) when it goes out of scope.
  class Scratch {
   public:
    Scratch(CudaBackend& owner, std::size_t bytes) : owner_(owner), ptr_(bytes ? owner.allocate(bytes) : nullptr) {}
    ~Scratch() { owner_.deallocate(ptr_); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    void* get() const { return ptr_; }
    template <class T>
    T* as() const { return static_cast<T*>(ptr_); }

   private:
    CudaBackend& owner_;
    void* ptr_;
  };

  // The stream this thread's work goes to: the capture stream while it records a graph.
  cudaStream_t stream() const { return recording_here() ? capture_stream_ : stream_; }
  bool recording_here() const {
    return recording_.load(std::memory_order_acquire) && recording_thread_ == std::this_thread::get_id();
  }
  // Makes this GPU the calling thread's current device (calls come from any thread).
  void activate() const;
  // What the next synchronization names if a queued kernel faults.
  void note_kernel(const char* kernel) const { last_kernel_.store(kernel, std::memory_order_relaxed); }
  // Throws a BackendError naming `call` and `what` when `status` is an error; a fault of a kernel
  // enqueued earlier is reported as such.
  void check(cudaError_t status, const char* call, const std::string& what) const;
  void check_launch(const char* kernel) const;
  void check(cublasStatus_t status, const char* call, const std::string& what) const;
  void check(cudnnStatus_t status, const char* call, const std::string& what) const;

 private:
  std::string memory_report(std::size_t asked) const;
  void refuse_while_recording(const char* what) const;
  void end_recording_state() noexcept;
  void release_graph(std::uint64_t id, std::vector<void*>& pinned) noexcept;
  friend class CudaGraph;
  void conv_descriptors(const Conv2DGeometry& g);
  void kernel_to_krsc(const Conv2DGeometry& g, const void* hwio, void* krsc);

  const int index_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  mutable std::mutex allocator_mutex_;
  CachingAllocator allocator_;
  internal::CapturedMemory captured_memory_;  // under allocator_mutex_
  // The graph being recorded: by which thread, on which stream, and the pinned copies of the
  // bytes its uploads read at every replay.
  std::atomic<bool> recording_{false};
  std::thread::id recording_thread_;
  cudaStream_t capture_stream_ = nullptr;
  std::uint64_t recording_id_ = 0, next_recording_id_ = 1;
  std::vector<void*> recording_pinned_;
  std::mutex cudnn_mutex_;  // the descriptors below are reused by every convolution
  cudnnTensorDescriptor_t x_desc_ = nullptr, y_desc_ = nullptr;
  cudnnFilterDescriptor_t w_desc_ = nullptr;
  cudnnConvolutionDescriptor_t conv_desc_ = nullptr;
  AlgorithmCache<ConvChoice> forward_algorithms_, backward_data_algorithms_, backward_filter_algorithms_;
  // Pinned staging for uploads: a ring of buffers, each reused once its last copy has finished.
  struct Staging {
    void* host = nullptr;
    std::size_t bytes = 0;
    cudaEvent_t done = nullptr;
  };
  std::mutex staging_mutex_;
  std::vector<Staging> staging_;
  std::size_t next_staging_ = 0;
  mutable std::atomic<std::uint64_t> synchronizations_{0}, host_reads_{0};
  mutable std::atomic<const char*> last_kernel_{"(none)"};
};

}  // namespace keras::cuda_backend
