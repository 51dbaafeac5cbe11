// Capture into a CUDA graph and replay. The recording thread's work goes to a stream of its own
// (other threads' uploads stay on the backend's stream and run as usual); cuBLAS and cuDNN
// follow it while it records. The caching allocator keeps every block the graph saw reserved
// until the graph is destroyed (keras/internal/captured_memory.hpp), and each upload recorded
// reads a pinned copy of its bytes that the graph owns.
#include <cuda_runtime.h>

#include "cuda_backend.hpp"
#include "keras/core/errors.hpp"

namespace keras::cuda_backend {

class CudaGraph final : public CapturedWork {
 public:
  CudaGraph(CudaBackend& owner, std::uint64_t id, cudaGraph_t graph, cudaGraphExec_t exec, std::vector<void*> pinned)
      : owner_(owner), id_(id), graph_(graph), exec_(exec), pinned_(std::move(pinned)) {}
  ~CudaGraph() override {
    // Its queued replays finish first (rare: a new shape or a new compile drops a graph).
    if (cudaSetDevice(owner_.index_) != cudaSuccess || cudaStreamSynchronize(owner_.stream_) != cudaSuccess) {
      cudaGetLastError();
    }
    if (exec_) cudaGraphExecDestroy(exec_);
    if (graph_) cudaGraphDestroy(graph_);
    owner_.release_graph(id_, pinned_);
  }
  CudaBackend& owner() const { return owner_; }
  cudaGraphExec_t exec() const { return exec_; }

 private:
  CudaBackend& owner_;
  std::uint64_t id_;
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  std::vector<void*> pinned_;
};

void CudaBackend::refuse_while_recording(const char* what) const {
  if (recording_here()) {
    throw BackendError(name() + ": " + what + " while a CUDA graph is being recorded on this thread: a captured "
                       "step must not read values on the host or wait for the device");
  }
}

void CudaBackend::begin_capture() {
  activate();
  if (recording_.load(std::memory_order_acquire)) {
    throw BackendError(name() + ": begin_capture while another CUDA graph is being recorded");
  }
  if (!capture_stream_) {
    check(cudaStreamCreateWithFlags(&capture_stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags",
          "begin_capture");
  }
  {
    std::lock_guard lock(allocator_mutex_);
    recording_id_ = next_recording_id_++;
    captured_memory_.begin(recording_id_);
  }
  recording_thread_ = std::this_thread::get_id();
  recording_.store(true, std::memory_order_release);
  try {
    check(cublas_library().set_stream(cublas_, capture_stream_), "cublasSetStream", "begin_capture");
    if (cudnn_) check(cudnnSetStream(cudnn_, capture_stream_), "cudnnSetStream", "begin_capture");
    // Relaxed: cuBLAS, cuDNN and our allocator may call cudaMalloc while this thread records.
    check(cudaStreamBeginCapture(capture_stream_, cudaStreamCaptureModeRelaxed), "cudaStreamBeginCapture",
          "begin_capture");
  } catch (...) {
    end_recording_state();
    std::vector<void*> pinned = std::exchange(recording_pinned_, {});
    release_graph(recording_id_, pinned);
    throw;
  }
}

// Back to the backend's stream for everything; the allocator stops reserving.
void CudaBackend::end_recording_state() noexcept {
  recording_.store(false, std::memory_order_release);  // recording_thread_ is read only while true
  cublas_library().set_stream(cublas_, stream_);
  if (cudnn_) cudnnSetStream(cudnn_, stream_);
  std::lock_guard lock(allocator_mutex_);
  captured_memory_.end();
}

std::unique_ptr<CapturedWork> CudaBackend::end_capture() {
  if (!recording_here()) throw BackendError(name() + ": end_capture without a CUDA graph recording on this thread");
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(capture_stream_, &graph);
  end_recording_state();
  std::vector<void*> pinned = std::exchange(recording_pinned_, {});
  cudaGraphExec_t exec = nullptr;
  cudaError_t status = ended;
  if (status == cudaSuccess) status = cudaGraphInstantiate(&exec, graph, 0);
  if (status != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    release_graph(recording_id_, pinned);
    check(status, ended != cudaSuccess ? "cudaStreamEndCapture" : "cudaGraphInstantiate", "end_capture");
  }
  return std::make_unique<CudaGraph>(*this, recording_id_, graph, exec, std::move(pinned));
}

void CudaBackend::abort_capture() noexcept {
  if (!recording_here()) return;
  cudaGraph_t graph = nullptr;
  cudaStreamEndCapture(capture_stream_, &graph);  // an invalidated capture ends with an error
  if (graph) cudaGraphDestroy(graph);
  cudaGetLastError();
  end_recording_state();
  std::vector<void*> pinned = std::exchange(recording_pinned_, {});
  release_graph(recording_id_, pinned);
}

void CudaBackend::replay(CapturedWork& work) {
  auto* graph = dynamic_cast<CudaGraph*>(&work);
  if (!graph || &graph->owner() != this) throw BackendError(name() + ": replay of work that another backend recorded");
  refuse_while_recording("replay");
  activate();
  note_kernel("a CUDA graph replay");
  check(cudaGraphLaunch(graph->exec(), stream_), "cudaGraphLaunch", "replay");
}

// A graph is gone, or a recording failed: the blocks only it held go back to the cache and its
// pinned sources are freed (nothing of it is queued any more).
void CudaBackend::release_graph(std::uint64_t id, std::vector<void*>& pinned) noexcept {
  {
    std::lock_guard lock(allocator_mutex_);
    for (void* block : captured_memory_.release(id)) allocator_.deallocate(block);
  }
  for (void* p : pinned) cudaFreeHost(p);
  pinned.clear();
}

}  // namespace keras::cuda_backend
