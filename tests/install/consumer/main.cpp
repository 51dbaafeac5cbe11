// Builds against the installed headers and library, and runs a model.
#include <keras/keras.hpp>

#include <iostream>

int main() {
  using namespace keras::layers;
  keras::Sequential model({Input({4}), Dense(2, {.activation = "softmax"})});
  const keras::Tensor y = model(keras::Tensor::ones({3, 4}));
  std::cout << "consumer output " << keras::to_string(y.shape()) << "\n";
  return y.shape() == keras::Shape{3, 2} ? 0 : 1;
}
