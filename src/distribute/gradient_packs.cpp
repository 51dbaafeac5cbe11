#include "gradient_packs.hpp"

#include <algorithm>

#include "keras/core/errors.hpp"

namespace keras::distribute::internal {

GradientPacks::GradientPacks(Strategy& strategy, const std::vector<Tensor>& sources, float weight)
    : strategy_(strategy), sources_(sources), weight_(weight), copied_(sources.size(), false) {
  offset_.reserve(sources.size() + 1);
  std::size_t total = 0;
  for (const Tensor& s : sources) {
    offset_.push_back(total);
    total += static_cast<std::size_t>(s.size());
  }
  offset_.push_back(total);
  if (!sources.empty() && strategy.sums_on_device(sources.front().backend())) {
    device_ = &sources.front().backend();
    device_flat_ = Tensor::zeros({static_cast<std::int64_t>(total)}, float32, device_);
  } else {
    flat_.assign(total, 0.0f);
  }
  // Packs of about bytes_per_pack, from the last source back; a source larger than that is a
  // pack of its own.
  const std::size_t per_pack = std::max<std::size_t>(1, strategy.bytes_per_pack() / sizeof(float));
  pack_of_.assign(sources.size(), 0);
  for (std::size_t i = sources.size(); i-- > 0;) {
    const std::size_t n = offset_[i + 1] - offset_[i];
    if (packs_.empty() || packs_.back().end - packs_.back().begin + n > per_pack) {
      packs_.push_back({offset_[i], offset_[i + 1], 0});
    }
    Pack& p = packs_.back();
    p.begin = offset_[i];
    ++p.waiting_for;
    pack_of_[i] = packs_.size() - 1;
  }
}

GradientPacks::~GradientPacks() {
  if (next_to_submit_ == 0 || waited_) return;
  try {
    if (device_) {
      strategy_.order_after_device_sums(*device_);  // the pack tensor is freed in queue order after it
    } else {
      strategy_.wait_for_submitted();
    }
  } catch (...) {  // the step's own error is the one on its way out
  }
}

void GradientPacks::ready(std::size_t i, const Tensor& gradient) {
  if (i >= sources_.size() || copied_[i]) throw ValueError("GradientPacks: gradient " + std::to_string(i) + " given twice or out of range");
  copied_[i] = true;
  // Each gradient scaled on its way into the pack (the sum is then the global batch's mean).
  const Tensor g = gradient.astype(float32);
  const std::size_t n = offset_[i + 1] - offset_[i];
  if (device_) {
    if (&g.backend() != device_) {
      throw ValueError("GradientPacks: gradient " + std::to_string(i) + " is in " + to_string(g.device()) +
                       " memory, the others in " + to_string(device_->device()) + "'s");
    }
    device_->affine(keras::internal::data<float>(g), pack_data() + offset_[i], n, weight_, 0.0f);
  } else {
    const std::vector<float> values = g.to_vector<float>();
    float* out = flat_.data() + offset_[i];
    for (std::size_t k = 0; k < n; ++k) out[k] = values[k] * weight_;
  }
  --packs_[pack_of_[i]].waiting_for;
  while (next_to_submit_ < packs_.size() && packs_[next_to_submit_].waiting_for == 0) {
    const Pack& p = packs_[next_to_submit_++];
    if (device_) {
      strategy_.submit_device_all_reduce_sum(*device_, pack_data() + p.begin, p.end - p.begin);
    } else {
      strategy_.submit_all_reduce_sum(flat_.data() + p.begin, p.end - p.begin);
    }
  }
}

float* GradientPacks::pack_data() { return device_ ? keras::internal::data<float>(device_flat_) : flat_.data(); }

std::vector<Tensor> GradientPacks::sums() {
  if (next_to_submit_ != packs_.size()) {
    throw ValueError("GradientPacks: " + std::to_string(packs_.size() - next_to_submit_) +
                     " packs still wait for gradients after the backward pass");
  }
  waited_ = true;
  std::vector<Tensor> out;
  out.reserve(sources_.size());
  if (device_) {
    strategy_.order_after_device_sums(*device_);
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      const Tensor part = device_flat_.slice(static_cast<std::int64_t>(offset_[i]), static_cast<std::int64_t>(offset_[i + 1]));
      out.push_back(part.reshape(sources_[i].shape()).astype(sources_[i].dtype()));
    }
    return out;
  }
  strategy_.wait_for_submitted();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const std::vector<float> part(flat_.begin() + static_cast<std::ptrdiff_t>(offset_[i]),
                                  flat_.begin() + static_cast<std::ptrdiff_t>(offset_[i + 1]));
    out.push_back(Tensor::from_vector(part, sources_[i].shape()).astype(sources_[i].dtype()));
  }
  return out;
}

}  // namespace keras::distribute::internal
