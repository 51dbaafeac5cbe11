#pragma once
// Keras' optimizers with their defaults. Each factory returns a shared optimizer object:
//   model.compile({.optimizer = keras::optimizers::Adam({.learning_rate = 1e-4}), ...});
#include "keras/optimizers/optimizer.hpp"

namespace keras::optimizers {

struct SGDOptions {
  LearningRate learning_rate = 0.01;
  double momentum = 0.0;
  bool nesterov = false;
  CommonOptions common{};
};
OptimizerPtr SGD(SGDOptions options = {});

struct AdamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  CommonOptions common{};
};
OptimizerPtr Adam(AdamOptions options = {});

struct AdamWOptions {
  LearningRate learning_rate = 0.001;
  double weight_decay = 0.004;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  CommonOptions common{};  // its weight_decay is ignored: AdamW's own one applies
};
OptimizerPtr AdamW(AdamWOptions options = {});

struct RMSpropOptions {
  LearningRate learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
  CommonOptions common{};
};
OptimizerPtr RMSprop(RMSpropOptions options = {});

struct AdagradOptions {
  LearningRate learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
  CommonOptions common{};
};
OptimizerPtr Adagrad(AdagradOptions options = {});

struct NadamOptions {
  LearningRate learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  CommonOptions common{};
};
OptimizerPtr Nadam(NadamOptions options = {});

}  // namespace keras::optimizers
