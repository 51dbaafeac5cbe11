// Keras 3's `.keras` archive (keras/src/saving/saving_lib.py): a zip holding config.json (the
// model config with compile_config), metadata.json and model.weights.h5 (the Keras 3 weights
// layout, plus "optimizer/vars" with the optimizer's variables). Read and written with the
// distribution's libzip; the HDF5 part lives in memory (HDF5's core driver), never in a
// temporary file.
#include <hdf5.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>

#include "hdf5_support.hpp"
#include "keras3_weights_h5.hpp"
#include "model_config.hpp"
#include "model_files.hpp"
#include "optimizer_state.hpp"
#include "training_config.hpp"

namespace keras::internal {

namespace {

using nlohmann::json;

// A file access property list for an HDF5 file held in memory.
hid_t in_memory_access(const std::vector<char>* image) {
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 20, /*backing_store=*/0);
  if (image != nullptr) H5Pset_file_image(fapl, const_cast<char*>(image->data()), image->size());
  return fapl;
}

std::vector<char> weights_image(const ModelState& st, const std::string& path) {
  silence_hdf5();
  Handle fapl(in_memory_access(nullptr), H5Pclose);
  Handle file(H5Fcreate("model.weights.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file.valid()) throw IOError("save: " + path + ": cannot create the in-memory weights file");
  write_keras3_weights(file.get(), st, path);
  const TrainingState& t = st.training;
  if (t.compiled && t.optimizer->built()) write_keras3_optimizer(file.get(), *t.optimizer, path);
  if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw IOError("save: " + path + ": cannot flush the weights file");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  std::vector<char> image(size > 0 ? static_cast<std::size_t>(size) : 0);
  if (size <= 0 || H5Fget_file_image(file.get(), image.data(), image.size()) != size) {
    throw IOError("save: " + path + ": cannot take the image of the weights file");
  }
  return image;
}

std::string now_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d@%H:%M:%S", &local);
  return text;
}

void add_entry(zip_t* zip, const char* name, const void* data, std::size_t size, const std::string& where) {
  zip_source_t* source = zip_source_buffer(zip, data, size, 0);
  if (source == nullptr) throw IOError(where + ": " + zip_strerror(zip));
  const zip_int64_t index = zip_file_add(zip, name, source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(source);
    throw IOError(where + ": cannot add " + name + ": " + zip_strerror(zip));
  }
  zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);  // as Python's zipfile
}

using ZipPtr = std::unique_ptr<zip_t, void (*)(zip_t*)>;

std::vector<char> read_entry(zip_t* zip, const char* name, std::uintmax_t archive_size, const std::string& path) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(zip, name, 0, &stat) < 0) {
    throw IOError("load_model: '" + path + "' has no " + name + " (not a Keras 3 model archive)");
  }
  // Deflate expands at most ~1032 times: a larger claimed size is a corrupt header.
  if (!(stat.valid & ZIP_STAT_SIZE) || stat.size > archive_size * 1100 + (1u << 20)) {
    throw IOError("load_model: '" + path + "': the size recorded for " + name + " is impossible (corrupt archive)");
  }
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen(zip, name, 0), zip_fclose);
  if (!file) throw IOError("load_model: '" + path + "': cannot open " + name + ": " + zip_strerror(zip));
  std::vector<char> data(stat.size);
  const zip_int64_t got = zip_fread(file.get(), data.data(), data.size());
  if (got < 0 || static_cast<zip_uint64_t>(got) != stat.size) {
    throw IOError("load_model: '" + path + "': " + name + " is truncated or corrupt in the archive");
  }
  return data;
}


}  // namespace

nlohmann::json archive_config(const ModelState& st) {
  json config = model_to_config(st, ConfigStyle::keras3);
  config["build_config"] = {{"input_shape", nullptr}};
  if (st.training.compiled) config["compile_config"] = training_config(st.training, ConfigStyle::keras3);
  return config;
}

void save_keras_archive(const ModelState& st, const std::string& path) {
  const std::string where = "save: " + path;
  const std::string config_text = archive_config(st).dump();
  const std::string metadata = json{{"keras_version", kProducer}, {"date_saved", now_stamp()}}.dump();
  const std::vector<char> weights = weights_image(st, path);

  const std::filesystem::path target(path);
  const std::filesystem::path temporary =
      target.parent_path() / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()));
  int error = 0;
  zip_t* zip = zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) {
    throw IOError(where + ": cannot create '" + temporary.string() + "' (does the folder exist and is it writable?)");
  }
  try {
    add_entry(zip, "metadata.json", metadata.data(), metadata.size(), where);
    add_entry(zip, "config.json", config_text.data(), config_text.size(), where);
    add_entry(zip, "model.weights.h5", weights.data(), weights.size(), where);
  } catch (...) {
    zip_discard(zip);
    throw;
  }
  if (zip_close(zip) < 0) {
    const std::string message = zip_strerror(zip);
    zip_discard(zip);
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw IOError(where + ": cannot write the archive: " + message);
  }
  std::error_code failed;
  std::filesystem::rename(temporary, target, failed);
  if (failed) {
    std::filesystem::remove(temporary, failed);
    throw IOError(where + ": cannot rename '" + temporary.string() + "' to '" + path + "'");
  }
}

namespace {

ZipPtr open_archive(const std::string& path, const std::string& caller) {
  int error = 0;
  ZipPtr zip(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error), [](zip_t* z) { zip_discard(z); });
  if (!zip) {
    zip_error_t e;
    zip_error_init_with_code(&e, error);
    const std::string message = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw IOError(caller + ": '" + path + "' is not a readable zip archive (" + message + ")");
  }
  return zip;
}

// The archive's model.weights.h5, opened in memory (HDF5 copies the image); errors name `caller`.
hid_t open_archive_weights(zip_t* zip, std::uintmax_t archive_size, const std::string& path, const std::string& caller) {
  const auto image = read_entry(zip, "model.weights.h5", archive_size, path);
  silence_hdf5();
  Handle fapl(in_memory_access(&image), H5Pclose);
  const hid_t file = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl.get());
  if (file < 0) throw IOError(caller + ": '" + path + "' model.weights.h5 is not a readable HDF5 file (corrupt archive?)");
  return file;
}

}  // namespace

void load_keras_archive_weights(ModelState& state, const std::string& path, bool skip_mismatch) {
  ZipPtr zip = open_archive(path, "load_weights");
  std::error_code size_error;
  Handle file(open_archive_weights(zip.get(), std::filesystem::file_size(path, size_error), path, "load_weights"), H5Fclose);
  for (auto& [variable, value] : read_keras3_weights(file.get(), state, skip_mismatch, path)) variable->assign(value);
}

Model load_keras_archive(const std::string& path, bool compile) {
  ZipPtr zip = open_archive(path, "load_model");
  std::error_code size_error;
  const std::uintmax_t archive_size = std::filesystem::file_size(path, size_error);
  const auto config_bytes = read_entry(zip.get(), "config.json", archive_size, path);
  const json config = parse_json(std::string(config_bytes.begin(), config_bytes.end()), "'" + path + "' config.json");
  Model model = model_from_file_config(config, path);
  Handle file(open_archive_weights(zip.get(), archive_size, path, "load_model"), H5Fclose);
  const std::string where = "load_model: '" + path + "' model.weights.h5";
  for (auto& [variable, value] : read_keras3_weights(file.get(), state_of(model), false, path)) variable->assign(value);
  if (compile && config.contains("compile_config") && config["compile_config"].is_object() &&
      !config["compile_config"].empty()) {
    compile_loaded_model(model, config["compile_config"], path);
    if (H5Lexists(file.get(), "optimizer", H5P_DEFAULT) > 0 && H5Lexists(file.get(), "optimizer/vars", H5P_DEFAULT) > 0) {
      restore_optimizer_variables(*model.optimizer(), model.trainable_weights(), read_keras3_optimizer(file.get(), where),
                                  where);
    }
  }
  return model;
}

}  // namespace keras::internal
