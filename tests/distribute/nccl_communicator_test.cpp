// The NCCL communicator keras::distribute sums GPU gradients with. One rank can run on any GPU
// machine (the sum is then the buffer itself, but the calls, the stream ordering and the
// bootstrap run); more ranks run in nccl_worker under mpirun.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "keras/keras.hpp"

#ifdef KERASCPP_TEST_NCCL
#include "backends/cuda/nccl_communicator.hpp"

using namespace keras;
using keras::cuda_backend::NcclCommunicator;

TEST_CASE("NCCL communicator: a host backend is refused, named, before NCCL is called") {
  CHECK_THROWS_WITH_AS(NcclCommunicator(backend::get("reference"), 1, 0, NcclCommunicator::UniqueId{}),
                       doctest::Contains("not of reference"), BackendError);
}

TEST_CASE("cuda backend: NCCL sums device memory on its own stream, after the device's work and before its later work (one rank)") {
  Backend* gpu = nullptr;
  try {
    gpu = &backend::get("cuda");
  } catch (const BackendError& e) {
    MESSAGE("SKIPPED NCCL on the GPU: " << std::string(e.what()));
    return;
  }
  NcclCommunicator nccl(*gpu, 1, 0, NcclCommunicator::make_unique_id());
  const std::int64_t n = std::int64_t{1} << 22;
  const Tensor written = Tensor::full({n}, 2.0f, float32, gpu) * 3.0f;
  nccl.all_reduce_sum(internal::data<float>(written), static_cast<std::size_t>(n));
  nccl.order_device_after_sums();
  const std::vector<float> after = (written + 1.0f).to_vector<float>();
  CHECK(std::count(after.begin(), after.end(), 7.0f) == n);
  CHECK(&nccl.device() == gpu);
}
#else
TEST_CASE("NCCL communicator: not built") {
  MESSAGE("SKIPPED NCCL communicator: this build has no NCCL (it needs the CUDA backend, MPI and NCCL)");
}
#endif
