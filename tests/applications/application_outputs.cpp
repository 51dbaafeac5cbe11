// For tools/make_application_fixtures.py --compare: builds one keras::applications model, loads a
// weights file Keras wrote for the same architecture, and writes its predictions for an input batch.
// The argument is a JSON object: {"arch", "args", "weights", "input", "input_shape", "output"}, the
// input and output being raw little-endian float32 files.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "build_application.hpp"
#include "keras/keras.hpp"

int main(int argc, char** argv) {
  using namespace keras;
  if (argc != 2) {
    std::cerr << "usage: application_outputs '{\"arch\": ..., \"args\": ..., \"weights\": ..., \"input\": ..., "
                 "\"input_shape\": ..., \"output\": ...}'\n";
    return 2;
  }
  try {
    const auto spec = nlohmann::json::parse(argv[1]);
    auto o = test_support::application_options(spec.at("args"));
    o.weights = spec.at("weights").get<std::string>();
    Model model = test_support::build_application(spec.at("arch").get<std::string>(), o);
    const Shape shape(spec.at("input_shape").get<std::vector<std::int64_t>>());
    std::vector<float> x(static_cast<std::size_t>(shape.num_elements()));
    std::ifstream in(spec.at("input").get<std::string>(), std::ios::binary);
    in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float)));
    if (!in) throw IOError("application_outputs: cannot read the input batch");
    const auto y = model.predict(Tensor::from_vector(x, shape), {.verbose = 0}).to_vector<float>();
    std::ofstream out(spec.at("output").get<std::string>(), std::ios::binary);
    out.write(reinterpret_cast<const char*>(y.data()), static_cast<std::streamsize>(y.size() * sizeof(float)));
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
