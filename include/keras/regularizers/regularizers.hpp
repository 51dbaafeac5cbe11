#pragma once
// Weight regularizers: penalties added to the training loss. A default-constructed
// Regularizer is "none".
#include <string>

#include "keras/core/tensor.hpp"

namespace keras::regularizers {

class Regularizer {
 public:
  Regularizer() = default;
  Regularizer(float l1, float l2) : l1_(l1), l2_(l2) {}
  // "l1", "l2", "l1_l2" with Keras' default factor 0.01.
  Regularizer(const std::string& name);  // NOLINT: implicit like Keras' strings
  Regularizer(const char* name);         // NOLINT

  bool active() const { return l1_ != 0.0f || l2_ != 0.0f; }
  // l1 * sum(|w|) + l2 * sum(w^2), differentiable.
  Tensor operator()(const Tensor& weight) const;
  float l1() const { return l1_; }
  float l2() const { return l2_; }

 private:
  float l1_ = 0.0f, l2_ = 0.0f;
};

Regularizer L1(float l1 = 0.01f);
Regularizer L2(float l2 = 0.01f);
Regularizer L1L2(float l1 = 0.0f, float l2 = 0.0f);
inline Regularizer l1(float v = 0.01f) { return L1(v); }
inline Regularizer l2(float v = 0.01f) { return L2(v); }

}  // namespace keras::regularizers
