#include "nccl_communicator.hpp"

#include <nccl.h>

#include <cstring>
#include <string>

#include "cuda_backend.hpp"
#include "keras/core/errors.hpp"

namespace keras::cuda_backend {

static_assert(NcclCommunicator::kIdBytes == NCCL_UNIQUE_ID_BYTES, "NCCL's unique id changed size");

namespace {
void check_nccl(ncclResult_t status, const char* call, ncclComm_t comm = nullptr) {
  if (status == ncclSuccess || status == ncclInProgress) return;
  std::string message = std::string("NCCL: ") + call + " failed: " + ncclGetErrorString(status);
  if (const char* last = ncclGetLastError(comm); last && *last) message += " (" + std::string(last) + ")";
  throw BackendError(message);
}

CudaBackend& cuda_of(Backend& device) {
  auto* cuda = dynamic_cast<CudaBackend*>(&device);
  if (!cuda) {
    throw BackendError("NCCL sums device memory of a cuda backend, not of " + device.name() +
                       " (train on \"cuda\" or \"cuda:N\", or sum on the host)");
  }
  return *cuda;
}
}  // namespace

struct NcclCommunicator::State {
  CudaBackend& device;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;      // the sums'
  cudaEvent_t device_ready = nullptr;  // the device's work before a sum
  cudaEvent_t sums_done = nullptr;     // every sum so far
  explicit State(CudaBackend& d) : device(d) {}
};

NcclCommunicator::UniqueId NcclCommunicator::make_unique_id() {
  ncclUniqueId id;
  check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  UniqueId bytes;
  std::memcpy(bytes.data(), id.internal, kIdBytes);
  return bytes;
}

void NcclCommunicator::group_start() { check_nccl(ncclGroupStart(), "ncclGroupStart"); }
void NcclCommunicator::group_end() { check_nccl(ncclGroupEnd(), "ncclGroupEnd"); }

NcclCommunicator::NcclCommunicator(Backend& device, int ranks, int rank, const UniqueId& id)
    : state_(std::make_unique<State>(cuda_of(device))) {
  State& s = *state_;
  s.device.activate();  // NCCL binds the communicator to the current device
  s.device.check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags",
                 "the NCCL communicator's stream");
  s.device.check(cudaEventCreateWithFlags(&s.device_ready, cudaEventDisableTiming), "cudaEventCreateWithFlags",
                 "the NCCL communicator");
  s.device.check(cudaEventCreateWithFlags(&s.sums_done, cudaEventDisableTiming), "cudaEventCreateWithFlags",
                 "the NCCL communicator");
  ncclUniqueId nccl_id;
  std::memcpy(nccl_id.internal, id.data(), kIdBytes);
  check_nccl(ncclCommInitRank(&s.comm, ranks, nccl_id, rank), "ncclCommInitRank");
}

NcclCommunicator::~NcclCommunicator() {
  State& s = *state_;
  s.device.activate();
  cudaStreamSynchronize(s.stream);
  if (s.comm) ncclCommDestroy(s.comm);
  cudaEventDestroy(s.sums_done);
  cudaEventDestroy(s.device_ready);
  cudaStreamDestroy(s.stream);
}

void NcclCommunicator::all_reduce_sum(float* values, std::size_t n) {
  State& s = *state_;
  s.device.activate();
  s.device.check(cudaEventRecord(s.device_ready, s.device.stream()), "cudaEventRecord", "an NCCL sum");
  s.device.check(cudaStreamWaitEvent(s.stream, s.device_ready, 0), "cudaStreamWaitEvent", "an NCCL sum");
  check_nccl(ncclAllReduce(values, values, n, ncclFloat, ncclSum, s.comm, s.stream), "ncclAllReduce", s.comm);
}

void NcclCommunicator::order_device_after_sums() {
  State& s = *state_;
  s.device.activate();
  s.device.check(cudaEventRecord(s.sums_done, s.stream), "cudaEventRecord", "the NCCL sums");
  s.device.check(cudaStreamWaitEvent(s.device.stream(), s.sums_done, 0), "cudaStreamWaitEvent", "the NCCL sums");
}

Backend& NcclCommunicator::device() const { return state_->device; }

}  // namespace keras::cuda_backend
