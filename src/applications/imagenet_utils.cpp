#include "keras/applications/imagenet_utils.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "keras/core/errors.hpp"
#include "keras/layers/dense.hpp"
#include "keras/layers/global_average_pooling2d.hpp"
#include "keras/layers/global_max_pooling2d.hpp"
#include "keras/layers/input_layer.hpp"

namespace keras::applications {

namespace internal {

using layers::Padding2D;

Shape input_shape_for(const std::string& model, const ApplicationOptions& o, std::int64_t default_size,
                      std::int64_t min_size) {
  const Shape default_shape{default_size, default_size, 3};
  Shape shape = o.input_shape ? *o.input_shape
                : o.input_tensor ? o.input_tensor->shape().without_batch()
                : o.include_top  ? default_shape
                                 : Shape{Shape::kNone, Shape::kNone, 3};
  if (shape.rank() != 3) {
    throw ValueError(model + ": input_shape must be (rows, cols, channels), got " + to_string(shape));
  }
  for (int d = 0; d < 2; ++d) {
    if (shape[d] != Shape::kNone && shape[d] < min_size) {
      throw ValueError(model + ": the input must be at least " + std::to_string(min_size) + "x" +
                       std::to_string(min_size) + ", got input_shape " + to_string(shape));
    }
  }
  if (o.include_top && (shape[0] == Shape::kNone || shape[1] == Shape::kNone)) {
    throw ValueError(model + ": with include_top the input_shape must be static, got " + to_string(shape));
  }
  if (!o.weights.empty() && shape[2] != 3) {
    throw ValueError(model + ": Keras' ImageNet weights take 3 input channels, got input_shape " + to_string(shape));
  }
  if (!o.include_top && !o.pooling.empty() && o.pooling != "avg" && o.pooling != "max") {
    throw ValueError(model + ": pooling must be empty, \"avg\" or \"max\", got \"" + o.pooling + "\"");
  }
  return shape;
}

layers::KerasTensor image_input(const ApplicationOptions& o, const Shape& shape) {
  return o.input_tensor ? *o.input_tensor : layers::Input(shape);
}

Padding2D correct_pad(const Shape& s, std::int64_t k) {
  const std::int64_t adjust_h = s[1] == Shape::kNone ? 1 : 1 - s[1] % 2;
  const std::int64_t adjust_w = s[2] == Shape::kNone ? 1 : 1 - s[2] % 2;
  return Padding2D{{k / 2 - adjust_h, k / 2}, {k / 2 - adjust_w, k / 2}};
}

layers::KerasTensor feature_pooling(const layers::KerasTensor& x, const ApplicationOptions& o,
                                    const std::string& avg_pool_name, const std::string& max_pool_name) {
  if (o.pooling == "avg") return layers::GlobalAveragePooling2D({.name = avg_pool_name})(x);
  if (o.pooling == "max") return layers::GlobalMaxPooling2D({.name = max_pool_name})(x);
  return x;
}

layers::KerasTensor classifier_or_pooling(const layers::KerasTensor& x, const ApplicationOptions& o,
                                          const std::string& top_pool_name, const std::string& avg_pool_name,
                                          const std::string& max_pool_name) {
  if (!o.include_top) return feature_pooling(x, o, avg_pool_name, max_pool_name);
  const layers::KerasTensor pooled = layers::GlobalAveragePooling2D({.name = top_pool_name})(x);
  return layers::Dense(o.classes, {.activation = o.classifier_activation, .name = "predictions"})(pooled);
}

Model application_model(const layers::KerasTensor& input, const layers::KerasTensor& output,
                        const ApplicationOptions& o, const std::string& default_name, const std::string& keras_file,
                        const std::string& url) {
  Model model(input, output, o.name.empty() ? default_name : o.name);
  if (o.weights.empty()) return model;
  const std::string fetch = "fetch Keras' " + keras_file + " from " + url + " and pass its path as `weights`";
  if (!std::filesystem::exists(o.weights)) {
    throw IOError(model.name() + ": the weights file '" + o.weights + "' does not exist; " + fetch +
                  " (kerascpp downloads nothing)");
  }
  try {
    model.load_weights(o.weights);
  } catch (const Error& e) {
    throw IOError(model.name() + ": '" + o.weights + "' does not fit this model (" + e.what() + "); for these arguments " +
                  fetch);
  }
  return model;
}

}  // namespace internal

Tensor preprocess_input(const Tensor& images, const std::string& mode) {
  if (mode != "tf" && mode != "torch" && mode != "caffe") {
    throw ValueError("preprocess_input: mode must be \"tf\", \"torch\" or \"caffe\", got \"" + mode + "\"");
  }
  if (mode != "tf" && (images.shape().rank() < 1 || images.shape()[-1] != 3)) {
    throw ShapeError("preprocess_input(mode \"" + mode + "\"): expects channels-last RGB images (last axis 3), got " +
                     to_string(images.shape()));
  }
  std::vector<float> x = images.astype(float32).to_vector<float>();
  if (mode == "tf") {
    for (float& v : x) v = v / 127.5f - 1.0f;
  } else if (mode == "torch") {
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = (x[i] / 255.0f - mean[i % 3]) / std[i % 3];
  } else {
    const float mean[3] = {103.939f, 116.779f, 123.68f};  // B, G, R
    for (std::size_t i = 0; i < x.size(); i += 3) {
      std::swap(x[i], x[i + 2]);
      for (int c = 0; c < 3; ++c) x[i + c] -= mean[c];
    }
  }
  return Tensor::from_vector(x, images.shape());
}

std::vector<std::vector<DecodedPrediction>> decode_predictions(const Tensor& predictions,
                                                               const std::string& class_index_json, int top) {
  const Shape& s = predictions.shape();
  if (s.rank() != 2 || s[1] != 1000) {
    throw ShapeError("decode_predictions expects a batch of ImageNet predictions of shape (samples, 1000), got " +
                     to_string(s));
  }
  std::ifstream in(class_index_json);
  if (!in) {
    throw IOError("decode_predictions: cannot read '" + class_index_json + "'; fetch Keras' imagenet_class_index.json "
                  "from https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json");
  }
  nlohmann::json index;
  try {
    in >> index;
  } catch (const nlohmann::json::exception& e) {
    throw IOError("decode_predictions: '" + class_index_json + "' is not valid JSON (" + e.what() + ")");
  }
  const std::vector<float> p = predictions.astype(float32).to_vector<float>();
  const auto k = static_cast<std::size_t>(std::clamp(top, 0, 1000));
  std::vector<std::vector<DecodedPrediction>> out;
  for (std::int64_t row = 0; row < s[0]; ++row) {
    const float* scores = p.data() + row * 1000;
    std::vector<int> order(1000);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[a] > scores[b]; });
    std::vector<DecodedPrediction> best;
    for (std::size_t i = 0; i < k; ++i) {
      const std::string key = std::to_string(order[i]);
      const auto entry = index.find(key);
      if (entry == index.end() || !entry->is_array() || entry->size() < 2 || !(*entry)[0].is_string() ||
          !(*entry)[1].is_string()) {
        throw IOError("decode_predictions: '" + class_index_json + "' has no entry [\"id\", \"name\"] for class " + key);
      }
      best.emplace_back((*entry)[0].get<std::string>(), (*entry)[1].get<std::string>(), scores[order[i]]);
    }
    out.push_back(std::move(best));
  }
  return out;
}

}  // namespace keras::applications
