// MirroredStrategy: the devices of one process (strategy.hpp), and the sum of the replicas'
// gradients. Its training step is in src/models/mirrored_training.cpp, beside fit's.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/errors.hpp"
#include "keras/distribute/strategy.hpp"
#include "keras/internal/backend_factories.hpp"

#ifdef KERASCPP_WITH_NCCL
#include "../../backends/cuda/nccl_communicator.hpp"
#endif

namespace keras::distribute {

#ifdef KERASCPP_WITH_NCCL
struct MirroredStrategy::Nccl {
  std::vector<std::unique_ptr<cuda_backend::NcclCommunicator>> communicators;  // one per device
};
#else
struct MirroredStrategy::Nccl {};
#endif

MirroredStrategy::MirroredStrategy(std::vector<std::string> devices) {
  if (devices.empty()) {
    // Keras: every visible GPU, else the CPU (here: the backend models are made on).
    const int gpus = keras::internal::cuda_device_count();
    for (int i = 0; i < gpus; ++i) devices.push_back("cuda:" + std::to_string(i));
    if (devices.empty()) devices_.push_back(&backend::get());
  }
  for (const std::string& spec : devices) {
    Backend& device = backend::get(spec);
    if (std::find(devices_.begin(), devices_.end(), &device) != devices_.end()) {
      throw ValueError("MirroredStrategy: device '" + spec + "' is listed twice; give each device once");
    }
    devices_.push_back(&device);
  }
}

MirroredStrategy::~MirroredStrategy() = default;

void MirroredStrategy::all_reduce_sum(float*, std::size_t) {}
void MirroredStrategy::all_reduce_sum(double*, std::size_t) {}
void MirroredStrategy::broadcast_from_chief(void*, std::size_t) {}

void MirroredStrategy::sum_into_first(std::vector<Tensor>& packs) {
  if (packs.size() != devices_.size()) {
    throw ValueError("MirroredStrategy::sum_into_first: " + std::to_string(packs.size()) + " packs for " +
                     std::to_string(devices_.size()) + " devices");
  }
  for (std::size_t i = 0; i < packs.size(); ++i) {
    if (&packs[i].backend() != devices_[i] || packs[i].dtype() != float32 || packs[i].size() != packs[0].size()) {
      throw ValueError("MirroredStrategy::sum_into_first: pack " + std::to_string(i) + " must be float32 on " +
                       to_string(devices_[i]->device()) + " with " + std::to_string(packs[0].size()) + " elements");
    }
  }
#ifdef KERASCPP_WITH_NCCL
  const bool all_cuda = std::all_of(devices_.begin(), devices_.end(),
                                    [](Backend* d) { return d->device().kind == DeviceKind::cuda; });
  if (packs.size() > 1 && all_cuda) {
    using cuda_backend::NcclCommunicator;
    if (!nccl_) {  // every device's rank at once, from this thread: NCCL's single-process bootstrap
      auto made = std::make_unique<Nccl>();
      const NcclCommunicator::UniqueId id = NcclCommunicator::make_unique_id();
      NcclCommunicator::group_start();
      try {
        for (std::size_t i = 0; i < devices_.size(); ++i) {
          made->communicators.push_back(std::make_unique<NcclCommunicator>(
              *devices_[i], static_cast<int>(devices_.size()), static_cast<int>(i), id));
        }
      } catch (...) {
        NcclCommunicator::group_end();
        throw;
      }
      NcclCommunicator::group_end();
      nccl_ = std::move(made);
    }
    const auto n = static_cast<std::size_t>(packs[0].size());
    NcclCommunicator::group_start();
    for (std::size_t i = 0; i < packs.size(); ++i) {
      nccl_->communicators[i]->all_reduce_sum(keras::internal::data<float>(packs[i]), n);
    }
    NcclCommunicator::group_end();
    // Every device waits for the sums before its later work (the first reads its sum; the others'
    // packs go back to their allocators in stream order only after NCCL is done with them).
    for (const auto& communicator : nccl_->communicators) communicator->order_device_after_sums();
    return;
  }
#endif
  Backend& first = *devices_.front();
  for (std::size_t i = 1; i < packs.size(); ++i) packs[0] = packs[0] + packs[i].clone(&first);
}

}  // namespace keras::distribute
