// The CUDA backend's device, stream, library handles, memory and synchronization.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "cuda_backend.hpp"
#include "keras/core/errors.hpp"
#include "keras/internal/backend_factories.hpp"

namespace keras {
namespace internal {
std::unique_ptr<Backend> make_cuda_backend(int index) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();  // clear the sticky "no device" status
    throw BackendError("backend 'cuda' is not available on this machine: " + cuda_device_report() +
                       "; run on a machine with an NVIDIA GPU and driver, or choose another backend");
  }
  if (index < 0 || index >= count) {
    throw BackendError("backend 'cuda:" + std::to_string(index) + "' does not exist: this machine has " +
                       cuda_device_report() + " (indices 0 to " + std::to_string(count - 1) + ")");
  }
  return std::make_unique<cuda_backend::CudaBackend>(index);
}
}  // namespace internal

namespace cuda_backend {

namespace {
constexpr std::size_t kStagingSlots = 4;
constexpr std::size_t kStagingBytes = 8 << 20;  // uploads up to kStagingSlots of these go in pieces
}  // namespace

CudaBackend::CudaBackend(int index)
    : index_(index),
      allocator_({[this](std::size_t bytes) -> void* {
                    void* p = nullptr;
                    if (cudaMalloc(&p, bytes) != cudaSuccess) {
                      cudaGetLastError();  // out of memory is not sticky; clear it for the retry
                      return nullptr;
                    }
                    return p;
                  },
                  [](void* p) { cudaFree(p); }}) {
  const CublasLibrary& blas = cublas_library();  // before anything that would need undoing
  check(cudaSetDevice(index_), "cudaSetDevice", name());
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags", name());
  check(blas.create(&cublas_), "cublasCreate", name());
  check(blas.set_stream(cublas_, stream_), "cublasSetStream", name());
  // The default math mode: each gemm's compute type says whether float32 may use TF32.
  check(blas.set_math_mode(cublas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode", name());
  // Without a working cuDNN (a library older than the driver wants, no engines for this GPU)
  // the convolutions run on our direct kernels: slower, still correct; say so once.
  // KERASCPP_CUDA_DIRECT_CONVOLUTIONS=1 chooses them on purpose (the GPU checks test both paths).
  const char* direct = std::getenv("KERASCPP_CUDA_DIRECT_CONVOLUTIONS");
  if (direct && *direct && std::string(direct) != "0") {
    cudnn_ = nullptr;
  } else if (const cudnnStatus_t status = cudnnCreate(&cudnn_); status != CUDNN_STATUS_SUCCESS) {
    cudnn_ = nullptr;
    std::fprintf(stderr, "kerascpp: %s: cuDNN is not usable (%s; cuDNN %zu at run time, built with %d.%d); "
                 "convolutions use kerascpp's direct kernels, which are much slower\n",
                 name().c_str(), cudnnGetErrorString(status), cudnnGetVersion(), CUDNN_MAJOR, CUDNN_MINOR);
  } else {
    check(cudnnSetStream(cudnn_, stream_), "cudnnSetStream", name());
    check(cudnnCreateTensorDescriptor(&x_desc_), "cudnnCreateTensorDescriptor", name());
    check(cudnnCreateTensorDescriptor(&y_desc_), "cudnnCreateTensorDescriptor", name());
    check(cudnnCreateFilterDescriptor(&w_desc_), "cudnnCreateFilterDescriptor", name());
    check(cudnnCreateConvolutionDescriptor(&conv_desc_), "cudnnCreateConvolutionDescriptor", name());
  }
  staging_.resize(kStagingSlots);
}

CudaBackend::~CudaBackend() {
  // At process exit the CUDA runtime may have shut down before the backend registry: then the
  // handles go with the process instead of through libraries that can no longer reach the GPU.
  if (cudaSetDevice(index_) != cudaSuccess || cudaStreamSynchronize(stream_) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  for (auto& s : staging_) {
    if (s.done) cudaEventDestroy(s.done);
    if (s.host) cudaFreeHost(s.host);
  }
  if (conv_desc_) cudnnDestroyConvolutionDescriptor(conv_desc_);
  if (w_desc_) cudnnDestroyFilterDescriptor(w_desc_);
  if (y_desc_) cudnnDestroyTensorDescriptor(y_desc_);
  if (x_desc_) cudnnDestroyTensorDescriptor(x_desc_);
  if (cudnn_) cudnnDestroy(cudnn_);
  if (cublas_) cublas_library().destroy(cublas_);
  if (capture_stream_) cudaStreamDestroy(capture_stream_);
  if (stream_) cudaStreamDestroy(stream_);
}

void CudaBackend::activate() const {
  int current = -1;
  if (cudaGetDevice(&current) != cudaSuccess || current != index_) {
    check(cudaSetDevice(index_), "cudaSetDevice", name());
  }
}

void CudaBackend::check(cudaError_t status, const char* call, const std::string& what) const {
  if (status == cudaSuccess) return;
  cudaGetLastError();
  std::string message = name() + ": " + call + " failed in " + what + ": " + cudaGetErrorString(status);
  if (status == cudaErrorIllegalAddress || status == cudaErrorLaunchFailure) {
    message += " (a kernel enqueued earlier faulted; the last one enqueued was " +
               std::string(last_kernel_.load()) + "; the device cannot be used again in this process)";
  }
  throw BackendError(message);
}

void CudaBackend::check_launch(const char* kernel) const {
  check(cudaPeekAtLastError(), "kernel launch", kernel);
}

void CudaBackend::check(cublasStatus_t status, const char* call, const std::string& what) const {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw BackendError(name() + ": " + call + " failed in " + what + ": " + cublas_library().status_string(status));
}

void CudaBackend::check(cudnnStatus_t status, const char* call, const std::string& what) const {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw BackendError(name() + ": " + call + " failed in " + what + ": " + cudnnGetErrorString(status));
}

void CudaBackend::synchronize() {
  refuse_while_recording("synchronize");
  synchronizations_.fetch_add(1, std::memory_order_relaxed);
  activate();
  const cudaError_t status = cudaStreamSynchronize(stream_);
  if (status != cudaSuccess) {
    check(status, "cudaStreamSynchronize",
          "the work queued before this synchronization (last kernel enqueued: " + std::string(last_kernel_.load()) + ")");
  }
}

SyncCounts CudaBackend::sync_counts() const {
  return {synchronizations_.load(std::memory_order_relaxed), host_reads_.load(std::memory_order_relaxed)};
}

std::string CudaBackend::memory_report(std::size_t asked) const {
  const auto s = allocator_stats();
  std::size_t free_bytes = 0, total = 0;
  if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) cudaGetLastError();
  auto mib = [](std::size_t b) { return std::to_string(b / (1 << 20)) + " MiB"; };
  return name() + " is out of memory: asked for " + std::to_string(asked) + " bytes (" + mib(asked) + "); " +
         mib(s.in_use) + " in use by tensors, " + mib(s.cached) + " cached (already released and retried), " +
         mib(free_bytes) + " free of " + mib(total) + ". Use a smaller batch size or model";
}

void* CudaBackend::allocate(std::size_t bytes) {
  activate();
  void* p = nullptr;
  {
    std::lock_guard lock(allocator_mutex_);
    const bool recorder = recording_here();
    p = captured_memory_.reuse(bytes, recorder);  // a graph's own temporary, within the graph
    if (!p) {
      p = allocator_.allocate(bytes);
      if (p) captured_memory_.allocated(p, bytes, recorder);
    }
  }
  if (!p) throw BackendError(memory_report(bytes));
  return p;
}

void CudaBackend::deallocate(void* ptr) noexcept {
  if (!ptr) return;
  std::lock_guard lock(allocator_mutex_);
  if (captured_memory_.keep(ptr, recording_here())) return;  // a graph still uses it (capture.cu)
  allocator_.deallocate(ptr);  // queue order holds: see caching_allocator.hpp
}

CachingAllocator::Stats CudaBackend::allocator_stats() const {
  std::lock_guard lock(allocator_mutex_);
  return allocator_.stats();
}

std::size_t CudaBackend::cached_convolution_algorithms() const {
  return forward_algorithms_.size() + backward_data_algorithms_.size() + backward_filter_algorithms_.size();
}

void CudaBackend::copy_from_host(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  activate();
  note_kernel("copy_from_host");
  if (recording_here()) {
    // A graph's upload reads its pinned source at every replay: a copy of its own, which the
    // graph keeps (a staging slot would hold other bytes by then).
    void* pinned = nullptr;
    check(cudaHostAlloc(&pinned, bytes, cudaHostAllocDefault), "cudaHostAlloc", "copy_from_host (recording)");
    recording_pinned_.push_back(pinned);
    std::memcpy(pinned, src, bytes);
    check(cudaMemcpyAsync(dst, pinned, bytes, cudaMemcpyHostToDevice, capture_stream_), "cudaMemcpyAsync",
          "copy_from_host (recording)");
    return;
  }
  if (bytes > kStagingBytes * kStagingSlots) {
    // A whole dataset, say: from pageable memory (the driver stages it before returning, so
    // `src` may be reused at once), leaving the slots to the batches of other threads.
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync", "copy_from_host");
    return;
  }
  // Through pinned memory, a slot (8 MiB) at a time: each piece is copied there now (the caller
  // may reuse `src`) and uploaded in queue order while the host goes on; a slot is reused once
  // its previous upload has finished. So a batch of up to 32 MiB (512 CIFAR images in float32
  // are 6 MiB) does not wait for the step the device is running, as a copy from pageable memory
  // may (the driver stages it, synchronizing with the stream).
  std::lock_guard lock(staging_mutex_);
  for (std::size_t at = 0; at < bytes; at += kStagingBytes) {
    const std::size_t piece = std::min(kStagingBytes, bytes - at);
    Staging& slot = staging_[next_staging_];
    next_staging_ = (next_staging_ + 1) % staging_.size();
    if (!slot.host) {
      check(cudaHostAlloc(&slot.host, kStagingBytes, cudaHostAllocDefault), "cudaHostAlloc", "copy_from_host staging");
      slot.bytes = kStagingBytes;
      check(cudaEventCreateWithFlags(&slot.done, cudaEventDisableTiming), "cudaEventCreate", "copy_from_host staging");
    } else {
      check(cudaEventSynchronize(slot.done), "cudaEventSynchronize", "copy_from_host staging");
    }
    std::memcpy(slot.host, static_cast<const char*>(src) + at, piece);
    check(cudaMemcpyAsync(static_cast<char*>(dst) + at, slot.host, piece, cudaMemcpyHostToDevice, stream_),
          "cudaMemcpyAsync", "copy_from_host");
    check(cudaEventRecord(slot.done, stream_), "cudaEventRecord", "copy_from_host staging");
  }
}

void CudaBackend::copy_to_host(void* dst, const void* src, std::size_t bytes) {
  refuse_while_recording("copy_to_host");
  host_reads_.fetch_add(1, std::memory_order_relaxed);
  synchronize();
  if (bytes == 0) return;
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy", "copy_to_host");
}

void CudaBackend::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  activate();
  note_kernel("copy");
  const auto d = reinterpret_cast<std::uintptr_t>(dst), s = reinterpret_cast<std::uintptr_t>(src);
  if (d < s + bytes && s < d + bytes) {  // overlapping (memmove semantics): through a scratch copy
    Scratch staging(*this, bytes);
    check(cudaMemcpyAsync(staging.get(), src, bytes, cudaMemcpyDeviceToDevice, stream()), "cudaMemcpyAsync", "copy");
    check(cudaMemcpyAsync(dst, staging.get(), bytes, cudaMemcpyDeviceToDevice, stream()), "cudaMemcpyAsync", "copy");
    return;
  }
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()), "cudaMemcpyAsync", "copy");
}

// Between two GPUs: a peer copy on this stream after the destination's queued work, and the
// destination's later work waits for it; to a host backend: a read.
void CudaBackend::copy_to_backend(Backend& dst_backend, void* dst, const void* src, std::size_t bytes) {
  auto* peer = dynamic_cast<CudaBackend*>(&dst_backend);
  if (peer != this) refuse_while_recording("copy_to_backend");
  if (peer == nullptr || peer == this) {
    if (peer == this) {
      copy(dst, src, bytes);
      return;
    }
    Backend::copy_to_backend(dst_backend, dst, src, bytes);
    return;
  }
  if (bytes == 0) return;
  cudaEvent_t peer_ready = nullptr, copied = nullptr;
  peer->activate();
  check(cudaEventCreateWithFlags(&peer_ready, cudaEventDisableTiming), "cudaEventCreate", "copy_to_backend");
  check(cudaEventRecord(peer_ready, peer->stream_), "cudaEventRecord", "copy_to_backend");
  activate();
  check(cudaEventCreateWithFlags(&copied, cudaEventDisableTiming), "cudaEventCreate", "copy_to_backend");
  check(cudaStreamWaitEvent(stream_, peer_ready, 0), "cudaStreamWaitEvent", "copy_to_backend");
  check(cudaMemcpyPeerAsync(dst, peer->index_, src, index_, bytes, stream_), "cudaMemcpyPeerAsync", "copy_to_backend");
  check(cudaEventRecord(copied, stream_), "cudaEventRecord", "copy_to_backend");
  peer->activate();
  check(cudaStreamWaitEvent(peer->stream_, copied, 0), "cudaStreamWaitEvent", "copy_to_backend");
  cudaEventDestroy(peer_ready);  // destruction is deferred until the event completes
  cudaEventDestroy(copied);
}

}  // namespace cuda_backend
}  // namespace keras
