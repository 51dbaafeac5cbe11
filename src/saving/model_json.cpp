// Model::to_json / get_config / from_config and keras::models::model_from_json: a model's
// architecture as Keras' JSON, the "architecture.json + weights.h5" pattern of Keras users.
#include "keras/saving/saving.hpp"
#include "layer_config.hpp"
#include "model_config.hpp"
#include "model_files.hpp"

namespace keras {

std::string Model::to_json(int indent) const { return internal::archive_config(state()).dump(indent); }

nlohmann::json Model::get_config() const {
  return internal::model_to_config(state(), internal::ConfigStyle::keras3).at("config");
}

Model Model::from_config(const nlohmann::json& config) {
  if (config.is_object() && config.contains("class_name") && config.contains("config")) {
    return internal::model_from_config(config);
  }
  if (!config.is_object() || !config.contains("layers")) {
    throw ValueError("Model::from_config: expected get_config()'s answer (an object with \"layers\") or a "
                     "{\"class_name\", \"config\"} object as to_json writes it");
  }
  // get_config() of a functional model names its input and output layers; a Sequential's does not.
  const bool functional = config.contains("input_layers");
  return internal::model_from_config({{"class_name", functional ? "Functional" : "Sequential"}, {"config", config}});
}

namespace saving {

Model model_from_json(const std::string& json_string) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_string);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("model_from_json: the text is not valid JSON (") + e.what() + ")");
  }
  try {
    return Model::from_config(doc);
  } catch (const ValueError& e) {
    throw ValueError(std::string("model_from_json: ") + e.what());
  }
}

}  // namespace saving

}  // namespace keras
