#include "keras/layers/subtract.hpp"

#include "../saving/config_support.hpp"
#include "keras/ops/math.hpp"

namespace keras::layers {

SubtractImpl::SubtractImpl(MergeOptions options) : MergeLayer("Subtract", options.name) {}

Tensor SubtractImpl::call(const std::vector<Tensor>& inputs, bool) { return ops::subtract(inputs[0], inputs[1]); }

Subtract::Subtract(MergeOptions options) : LayerHandle(std::make_shared<SubtractImpl>(std::move(options))) {}

namespace {

LayerPtr make_subtract(const keras::internal::ConfigArgs& a) { return Subtract({.name = a.name()}); }

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Subtract, keras::layers::make_subtract, R"({"config": {}, "inputs": [[null, 3, 4], [null, 3, 4]]})")
