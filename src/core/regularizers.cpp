#include "keras/regularizers/regularizers.hpp"

#include "keras/ops/math.hpp"

namespace keras::regularizers {

namespace {
Regularizer from_name(const std::string& name) {
  if (name == "l1") return L1();
  if (name == "l2") return L2();
  if (name == "l1_l2") return L1L2(0.01f, 0.01f);
  throw ValueError("unknown regularizer '" + name + "': expected one of l1, l2, l1_l2");
}
}  // namespace

Regularizer::Regularizer(const std::string& name) : Regularizer(from_name(name)) {}
Regularizer::Regularizer(const char* name) : Regularizer(std::string(name)) {}

Tensor Regularizer::operator()(const Tensor& w) const {
  Tensor penalty;
  if (l1_ != 0.0f) penalty = ops::sum(ops::abs(w)) * l1_;
  if (l2_ != 0.0f) {
    Tensor p2 = ops::sum(ops::square(w)) * l2_;
    penalty = penalty.defined() ? penalty + p2 : p2;
  }
  return penalty.defined() ? penalty : Tensor::scalar(0.0f, &w.backend());
}

Regularizer L1(float l1) { return Regularizer(l1, 0.0f); }
Regularizer L2(float l2) { return Regularizer(0.0f, l2); }
Regularizer L1L2(float l1, float l2) { return Regularizer(l1, l2); }

}  // namespace keras::regularizers
