#include "keras/layers/permute.hpp"

#include <algorithm>

#include "../saving/config_support.hpp"
#include "keras/ops/array.hpp"

namespace keras::layers {

PermuteImpl::PermuteImpl(std::vector<int> dims, PermuteOptions options)
    : Layer("Permute", options.name), dims_(std::move(dims)) {
  std::vector<int> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int>(i) + 1) {
      std::string text;
      for (int d : dims_) text += (text.empty() ? "" : ", ") + std::to_string(d);
      throw ValueError(describe() + ": dims (" + text + ") must be a permutation of 1.." + std::to_string(dims_.size()) +
                       " (the axes after the batch, numbered from 1)");
    }
  }
}

Shape PermuteImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  const auto rank = static_cast<int>(dims_.size()) + 1;
  const Shape& s = single_input(shapes, rank, rank);
  std::vector<std::int64_t> out{s[0]};
  for (int d : dims_) out.push_back(s[d]);
  return Shape(out);
}

Tensor PermuteImpl::call(const std::vector<Tensor>& inputs, bool) {
  std::vector<int> axes{0};
  axes.insert(axes.end(), dims_.begin(), dims_.end());
  return ops::transpose(inputs[0], axes);
}

nlohmann::json PermuteImpl::get_config() const {
  nlohmann::json config = Layer::get_config();
  config["dims"] = dims_;
  return config;
}

Permute::Permute(std::vector<int> dims, PermuteOptions options)
    : LayerHandle(std::make_shared<PermuteImpl>(std::move(dims), std::move(options))) {}

namespace {

LayerPtr make_permute(const keras::internal::ConfigArgs& a) {
  const nlohmann::json& v = a.present("dims") ? a.at("dims") : nlohmann::json(nullptr);
  if (!v.is_array()) a.fail("dims", "must be a list of integers, got " + v.dump());
  std::vector<int> dims;
  for (const auto& d : v) {
    if (!d.is_number_integer()) a.fail("dims", "must be a list of integers, got " + v.dump());
    dims.push_back(d.get<int>());
  }
  return Permute(dims, {.name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Permute, keras::layers::make_permute, R"({"config": {"dims": [2, 3, 1]}, "inputs": [[null, 3, 4, 2]]})")
