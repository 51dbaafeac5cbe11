#pragma once
// One keras::applications model from tools/make_application_fixtures.py's description of it
// ({"include_top", "input_shape", "pooling", "classes", "alpha"}), for the tests and the
// application_outputs tool.
#include <nlohmann/json.hpp>
#include <string>

#include "keras/keras.hpp"

namespace test_support {

inline keras::applications::ApplicationOptions application_options(const nlohmann::json& args) {
  keras::applications::ApplicationOptions o;
  o.include_top = args.at("include_top").get<bool>();
  if (args.contains("input_shape") && !args["input_shape"].is_null()) {
    std::vector<std::int64_t> dims;
    for (const auto& d : args["input_shape"]) dims.push_back(d.is_null() ? keras::Shape::kNone : d.get<std::int64_t>());
    o.input_shape = keras::Shape(dims);
  }
  o.pooling = args.value("pooling", "");
  o.classes = args.value("classes", 1000);
  o.alpha = args.value("alpha", 1.0);
  return o;
}

inline keras::Model build_application(const std::string& arch, const keras::applications::ApplicationOptions& o) {
  namespace apps = keras::applications;
  if (arch == "xception") return apps::Xception(o);
  if (arch == "resnet") return apps::ResNet50(o);
  if (arch == "mobilenet") return apps::MobileNet(o);
  if (arch == "mobilenet_v2") return apps::MobileNetV2(o);
  if (arch == "densenet") return apps::DenseNet121(o);
  if (arch == "nasnet") return apps::NASNetMobile(o);
  throw keras::ValueError("no application named '" + arch + "'");
}

}  // namespace test_support
