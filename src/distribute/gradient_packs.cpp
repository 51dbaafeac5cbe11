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
  flat_.assign(total, 0.0f);
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
    strategy_.wait_for_submitted();
  } catch (...) {  // the step's own error is the one on its way out
  }
}

void GradientPacks::ready(std::size_t i, const Tensor& gradient) {
  if (i >= sources_.size() || copied_[i]) throw ValueError("GradientPacks: gradient " + std::to_string(i) + " given twice or out of range");
  copied_[i] = true;
  // One host copy per gradient, scaled on the way (the sum is then the global batch's mean).
  const std::vector<float> values = gradient.astype(float32).to_vector<float>();
  float* out = flat_.data() + offset_[i];
  for (std::size_t k = 0; k < values.size(); ++k) out[k] = values[k] * weight_;
  --packs_[pack_of_[i]].waiting_for;
  while (next_to_submit_ < packs_.size() && packs_[next_to_submit_].waiting_for == 0) {
    const Pack& p = packs_[next_to_submit_++];
    strategy_.submit_all_reduce_sum(flat_.data() + p.begin, p.end - p.begin);
  }
}

std::vector<Tensor> GradientPacks::sums() {
  if (next_to_submit_ != packs_.size()) {
    throw ValueError("GradientPacks: " + std::to_string(packs_.size() - next_to_submit_) +
                     " packs still wait for gradients after the backward pass");
  }
  waited_ = true;
  strategy_.wait_for_submitted();
  std::vector<Tensor> out;
  out.reserve(sources_.size());
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const std::vector<float> part(flat_.begin() + static_cast<std::ptrdiff_t>(offset_[i]),
                                  flat_.begin() + static_cast<std::ptrdiff_t>(offset_[i + 1]));
    out.push_back(Tensor::from_vector(part, sources_[i].shape()).astype(sources_[i].dtype()));
  }
  return out;
}

}  // namespace keras::distribute::internal
