// A fresh process for the custom-layer saving test: registers ScaleShift, loads the model file
// given (.keras, .h5, or a to_json .json with its .weights.h5 beside it) and prints its outputs on
// the shared input, one number per line.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "custom_layer_model.hpp"
#include "support/emulated_device_backend.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: custom_layer_process MODEL_FILE\n";
    return 2;
  }
  try {
    keras::testing::register_emulated_device_backend();  // the suite's KERAS_BACKEND may name it
    test_support::register_scale_shift();
    const std::string path = argv[1];
    keras::Model model = [&] {
      if (!path.ends_with(".json")) return keras::models::load_model(path);
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      keras::Model m = keras::models::model_from_json(text.str());
      m.load_weights(path.substr(0, path.size() - 5) + ".weights.h5");
      return m;
    }();
    for (float v : model.predict(test_support::custom_layer_input(), {.verbose = 0}).to_vector<float>()) {
      std::printf("%.9g\n", v);
    }
    return 0;
  } catch (const keras::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
