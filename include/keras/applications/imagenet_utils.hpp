#pragma once
// What every keras::applications model shares (keras.applications.imagenet_utils): the common
// arguments, Keras' input-shape rules, its preprocess_input modes, decode_predictions, and the
// loading of Keras' published weight files, which the user brings (nothing is downloaded).
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "keras/core/shape.hpp"
#include "keras/core/tensor.hpp"
#include "keras/layers/layer.hpp"
#include "keras/layers/padding2d.hpp"
#include "keras/models/model.hpp"

namespace keras::applications {

// Keras' arguments of every application (channels_last only). `weights` is a path to a weights
// file (Keras' own ImageNet file, or any file save_weights wrote for the same architecture); empty
// means random initialization. Keras' "imagenet" is not a download here: pass the file's path.
struct ApplicationOptions {
  bool include_top = true;
  std::string weights{};
  std::optional<layers::KerasTensor> input_tensor{};
  std::optional<Shape> input_shape{};  // (rows, cols, channels); a dimension may be None (-1) without the top
  std::string pooling{};               // "", "avg" or "max": what follows the features without the top
  std::int64_t classes = 1000;
  std::string classifier_activation = "softmax";
  std::string name{};                  // empty: the family's Keras name ("xception", ...)
  // MobileNet and MobileNetV2 only: the width multiplier; MobileNet's depth_multiplier and the
  // dropout before its classifier.
  double alpha = 1.0;
  std::int64_t depth_multiplier = 1;
  double dropout = 1e-3;
};

namespace internal {

// Keras' obtain_input_shape: the input shape for these options, or a ValueError naming the model.
Shape input_shape_for(const std::string& model, const ApplicationOptions& options, std::int64_t default_size,
                      std::int64_t min_size);

// The model's input: options.input_tensor, or a new Input of `shape`.
layers::KerasTensor image_input(const ApplicationOptions& options, const Shape& shape);

// Keras' imagenet_utils.correct_pad: the zero padding before a strided k x k "valid" convolution
// on `shape` (batch axis included) that centres it like TensorFlow's "same".
layers::Padding2D correct_pad(const Shape& shape, std::int64_t k);

// Without the top: options.pooling's global pooling (named as given; "" takes Keras' default
// names), or the features as they are.
layers::KerasTensor feature_pooling(const layers::KerasTensor& x, const ApplicationOptions& options,
                                    const std::string& avg_pool_name = "", const std::string& max_pool_name = "");
// The ending most families share: with the top, global average pooling (named `top_pool_name`)
// and the "predictions" Dense; without it, feature_pooling.
layers::KerasTensor classifier_or_pooling(const layers::KerasTensor& x, const ApplicationOptions& options,
                                          const std::string& top_pool_name, const std::string& avg_pool_name = "",
                                          const std::string& max_pool_name = "");

// The model from `input` to `output`, named options.name or `default_name`, with options.weights
// loaded. A missing file, or one that does not fit, is an IOError that names the Keras file to
// fetch for this configuration and where Keras publishes it.
Model application_model(const layers::KerasTensor& input, const layers::KerasTensor& output,
                        const ApplicationOptions& options, const std::string& default_name,
                        const std::string& keras_file, const std::string& url);

}  // namespace internal

// Keras' imagenet_utils.preprocess_input modes on float images in [0, 255], channels last:
// "tf" scales to [-1, 1]; "torch" scales to [0, 1] and standardizes with ImageNet's mean and std;
// "caffe" turns RGB into BGR and subtracts ImageNet's BGR means.
Tensor preprocess_input(const Tensor& images, const std::string& mode);

// Keras' decode_predictions: the `top` classes of each row of (samples, 1000) ImageNet scores, as
// (class id, class name, score), best first. `class_index_json` is Keras' imagenet_class_index.json
// (https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json), which
// the user brings.
using DecodedPrediction = std::tuple<std::string, std::string, float>;
std::vector<std::vector<DecodedPrediction>> decode_predictions(const Tensor& predictions,
                                                               const std::string& class_index_json, int top = 5);

}  // namespace keras::applications
