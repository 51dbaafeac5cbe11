// Add, Multiply, Average, Concatenate.
#include "keras/layers/add.hpp"

#include "../saving/config_support.hpp"
#include "keras/layers/average.hpp"
#include "keras/layers/concatenate.hpp"
#include "keras/layers/multiply.hpp"
#include "keras/ops/array.hpp"
#include "keras/ops/math.hpp"

namespace keras::layers {

namespace {
bool same_dim(std::int64_t a, std::int64_t b) { return a == b || a < 0 || b < 0; }
}  // namespace

Shape MergeLayer::compute_output_shape(const std::vector<Shape>& shapes) const {
  if (shapes.size() < 2) {
    throw ValueError(describe() + " needs at least 2 inputs, got " + std::to_string(shapes.size()));
  }
  Shape out = shapes.front();
  for (const auto& s : shapes) {
    bool fits = s.rank() == out.rank();
    for (int i = 0; fits && i < s.rank(); ++i) fits = same_dim(s.dims()[i], out.dims()[i]);
    if (!fits) {
      throw ShapeError(describe() + " needs inputs of one shape, got " + to_string(shapes.front()) +
                       " and " + to_string(s));
    }
    for (int i = 0; i < s.rank(); ++i) {
      if (out[i] < 0) out[i] = s.dims()[i];
    }
  }
  return out;
}

AddImpl::AddImpl(MergeOptions options) : MergeLayer("Add", options.name) {}
Tensor AddImpl::call(const std::vector<Tensor>& inputs, bool) {
  Tensor y = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) y = ops::add(y, inputs[i]);
  return y;
}
Add::Add(MergeOptions options) : LayerHandle(std::make_shared<AddImpl>(std::move(options))) {}

MultiplyImpl::MultiplyImpl(MergeOptions options) : MergeLayer("Multiply", options.name) {}
Tensor MultiplyImpl::call(const std::vector<Tensor>& inputs, bool) {
  Tensor y = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) y = ops::multiply(y, inputs[i]);
  return y;
}
Multiply::Multiply(MergeOptions options)
    : LayerHandle(std::make_shared<MultiplyImpl>(std::move(options))) {}

AverageImpl::AverageImpl(MergeOptions options) : MergeLayer("Average", options.name) {}
Tensor AverageImpl::call(const std::vector<Tensor>& inputs, bool) {
  Tensor y = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) y = ops::add(y, inputs[i]);
  return y * (1.0f / static_cast<float>(inputs.size()));
}
Average::Average(MergeOptions options)
    : LayerHandle(std::make_shared<AverageImpl>(std::move(options))) {}

ConcatenateImpl::ConcatenateImpl(ConcatenateOptions options)
    : Layer("Concatenate", options.name), options_(std::move(options)) {}

Shape ConcatenateImpl::compute_output_shape(const std::vector<Shape>& shapes) const {
  if (shapes.size() < 2) {
    throw ValueError(describe() + " needs at least 2 inputs, got " + std::to_string(shapes.size()));
  }
  const Shape& first = shapes.front();
  const int axis = first.normalize_axis(options_.axis);
  if (axis == 0) throw ValueError(describe() + ": cannot concatenate along the batch axis");
  Shape out = first;
  for (std::size_t k = 1; k < shapes.size(); ++k) {
    const Shape& s = shapes[k];
    bool fits = s.rank() == first.rank();
    for (int i = 0; fits && i < s.rank(); ++i) {
      fits = i == axis || same_dim(s.dims()[i], first.dims()[i]);
    }
    if (!fits) {
      throw ShapeError(describe() + ": inputs must match except on the concatenation axis " +
                       std::to_string(options_.axis) + ", got " + to_string(first) + " and " +
                       to_string(s));
    }
    out[axis] = out[axis] < 0 || s[axis] < 0 ? -1 : out[axis] + s[axis];
  }
  return out;
}

Tensor ConcatenateImpl::call(const std::vector<Tensor>& inputs, bool) {
  return ops::concatenate(inputs, options_.axis);
}

Concatenate::Concatenate(ConcatenateOptions options)
    : LayerHandle(std::make_shared<ConcatenateImpl>(std::move(options))) {}

// Keras configs, and the factories that read them back.

nlohmann::json ConcatenateImpl::get_config() const {
  using namespace keras::internal;
  json config = Layer::get_config();
  config.update({{"axis", axis()}});
  return config;
}

namespace {

LayerPtr make_add(const keras::internal::ConfigArgs& a) { return Add({.name = a.name()}); }

LayerPtr make_multiply(const keras::internal::ConfigArgs& a) { return Multiply({.name = a.name()}); }

LayerPtr make_average(const keras::internal::ConfigArgs& a) { return Average({.name = a.name()}); }

LayerPtr make_concatenate(const keras::internal::ConfigArgs& a) {
  return Concatenate({.axis = static_cast<int>(a.integer("axis", -1)), .name = a.name()});
}

}  // namespace

}  // namespace keras::layers

KERASCPP_REGISTER_LAYER(Add, keras::layers::make_add, R"({"config": {}, "inputs": [[null, 4], [null, 4]]})")
KERASCPP_REGISTER_LAYER(Multiply, keras::layers::make_multiply, R"({"config": {}, "inputs": [[null, 4], [null, 4]]})")
KERASCPP_REGISTER_LAYER(Average, keras::layers::make_average, R"({"config": {}, "inputs": [[null, 4], [null, 4]]})")
KERASCPP_REGISTER_LAYER(Concatenate, keras::layers::make_concatenate, R"({"config": {"axis": 1}, "inputs": [[null, 2, 3], [null, 4, 3]]})")
