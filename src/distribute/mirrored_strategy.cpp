// MirroredStrategy: the devices of one process (strategy.hpp). Its training step is in
// src/models/mirrored_training.cpp, beside fit's.
#include <algorithm>
#include <string>
#include <vector>

#include "keras/core/errors.hpp"
#include "keras/distribute/strategy.hpp"
#include "keras/internal/backend_factories.hpp"

namespace keras::distribute {

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

void MirroredStrategy::all_reduce_sum(float*, std::size_t) {}
void MirroredStrategy::all_reduce_sum(double*, std::size_t) {}
void MirroredStrategy::broadcast_from_chief(void*, std::size_t) {}

}  // namespace keras::distribute
