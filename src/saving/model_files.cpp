// Model::save and keras::saving::load_model: pick the format from the suffix (as Keras does)
// when saving, and from the file's contents when loading.
#include <fstream>

#include "keras/saving/saving.hpp"
#include "hdf5_support.hpp"
#include "keras3_weights_h5.hpp"
#include "model_config.hpp"
#include "model_files.hpp"
#include "training_config.hpp"

namespace keras {

void Model::save(const std::string& path) const {
  if (path.ends_with(".keras")) {
    internal::save_keras_archive(state(), path);
  } else if (path.ends_with(".h5") || path.ends_with(".hdf5")) {
    if (path.ends_with(".weights.h5")) {
      throw ValueError("save: '" + path + "' ends in .weights.h5, the suffix of weights-only files; call "
                       "save_weights for those, or name the model file *.keras or *.h5");
    }
    internal::save_model_h5(state(), path);
  } else {
    throw ValueError("save: '" + path + "' must end in .keras (Keras 3's archive) or .h5 (Keras 2's legacy file)");
  }
}

namespace internal {

Model model_from_file_config(const nlohmann::json& config, const std::string& path) {
  try {
    return model_from_config(config);
  } catch (const ValueError& e) {  // ShapeErrors too: a graph whose shapes do not fit
    throw IOError("load_model: '" + path + "': " + e.what());
  }
}

void compile_loaded_model(Model& model, const nlohmann::json& compile_config, const std::string& path) {
  try {
    model.compile(compile_options_from_config(compile_config));
  } catch (const ValueError& e) {
    throw IOError("load_model: '" + path + "': cannot compile from the saved configuration: " + e.what());
  }
}

}  // namespace internal

namespace saving {

Model load_model(const std::string& path, LoadModelOptions options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("load_model: cannot open '" + path + "' (does it exist?)");
  char magic[8] = {};
  in.read(magic, sizeof magic);
  if (in.gcount() >= 4 && magic[0] == 'P' && magic[1] == 'K') return internal::load_keras_archive(path, options.compile);
  internal::silence_hdf5();
  if (H5Fis_hdf5(path.c_str()) > 0) return internal::load_model_h5(path, options.compile);
  throw IOError("load_model: '" + path + "' is neither a .keras archive (zip) nor an HDF5 .h5 file");
}

}  // namespace saving
}  // namespace keras
