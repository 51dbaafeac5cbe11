// CIFAR-10 and CIFAR-100 from either official version, converted to Keras' arrays: images
// from R, G, B planes to channels-last (n, 32, 32, 3) uint8, labels (n, 1) int32.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "keras/datasets/cifar.hpp"
#include "pickle.hpp"

namespace keras::datasets {

namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kPixels = 32 * 32 * 3;
const char* kDownload = "https://www.cs.toronto.edu/~kriz/cifar.html";

// What distinguishes the two datasets on disk.
struct Layout {
  const char* name;                // "CIFAR-100"
  const char* binary_folder;       // "cifar-100-binary"
  const char* python_folder;       // "cifar-100-python"
  std::vector<std::string> binary_train, binary_test, python_train, python_test;
  std::int64_t label_bytes;        // leading label bytes per binary record
  std::int64_t label_index;        // which of them is returned
  std::int64_t classes;
};

Layout cifar100_layout(bool coarse) {
  return {"CIFAR-100", "cifar-100-binary", "cifar-100-python", {"train.bin"}, {"test.bin"}, {"train"}, {"test"},
          2, coarse ? 0 : 1, coarse ? 20 : 100};
}
Layout cifar10_layout() {
  return {"CIFAR-10", "cifar-10-batches-bin", "cifar-10-batches-py",
          {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"},
          {"test_batch.bin"},
          {"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"},
          {"test_batch"}, 1, 0, 10};
}

// R, G, B planes of 32x32 -> (32, 32, 3) per image.
void planes_to_nhwc(const unsigned char* planes, std::uint8_t* out) {
  for (int p = 0; p < 1024; ++p) {
    for (int c = 0; c < 3; ++c) out[p * 3 + c] = planes[c * 1024 + p];
  }
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IOError(file.string() + ": cannot open the file");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Split from_records(const Layout& l, const std::vector<fs::path>& files) {
  const std::int64_t record = l.label_bytes + kPixels;
  std::vector<std::uint8_t> pixels;
  std::vector<std::int32_t> labels;
  for (const auto& file : files) {
    const std::string bytes = read_all(file);
    if (bytes.empty() || static_cast<std::int64_t>(bytes.size()) % record != 0) {
      throw IOError(file.string() + ": " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                    std::to_string(record) + "-byte " + l.name + " records (truncated or not a " + l.binary_folder +
                    " file?)");
    }
    const auto n = static_cast<std::int64_t>(bytes.size()) / record;
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t first = pixels.size();
    pixels.resize(first + static_cast<std::size_t>(n * kPixels));
    for (std::int64_t i = 0; i < n; ++i) {
      const unsigned char* r = data + i * record;
      const int label = r[l.label_index];
      if (label >= l.classes) {
        throw IOError(file.string() + ": label " + std::to_string(label) + " at byte " + std::to_string(i * record + l.label_index) +
                      " (record " + std::to_string(i) + ") is outside 0.." + std::to_string(l.classes - 1));
      }
      labels.push_back(label);
      planes_to_nhwc(r + l.label_bytes, pixels.data() + first + static_cast<std::size_t>(i * kPixels));
    }
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  return {Tensor::from_vector(pixels, {n, 32, 32, 3}), Tensor::from_vector(labels, {n, 1})};
}

Split from_pickles(const Layout& l, const std::vector<fs::path>& files, const std::string& label_key) {
  std::vector<std::uint8_t> pixels;
  std::vector<std::int32_t> labels;
  for (const auto& file : files) {
    const auto root = pickle::load(file.string());
    if (root->kind != pickle::Value::Kind::dict) throw IOError(file.string() + ": the pickle is not a dict");
    const auto data = pickle::find(*root, "data");
    const auto ids = pickle::find(*root, label_key);
    if (!data || data->kind != pickle::Value::Kind::ndarray) {
      throw IOError(file.string() + ": no numpy array under the key 'data'");
    }
    if (!ids || ids->kind != pickle::Value::Kind::list) {
      throw IOError(file.string() + ": no list of labels under the key '" + label_key + "'");
    }
    if (data->dtype != "u1" || data->shape.size() != 2 || data->shape[1] != kPixels ||
        static_cast<std::int64_t>(data->data.size()) != data->shape[0] * kPixels) {
      throw IOError(file.string() + ": 'data' is a " + data->dtype + " array of " + std::to_string(data->shape.size()) +
                    " dimensions; expected uint8 (n, 3072) as in the official files");
    }
    if (static_cast<std::int64_t>(ids->items.size()) != data->shape[0]) {
      throw IOError(file.string() + ": " + std::to_string(ids->items.size()) + " labels for " +
                    std::to_string(data->shape[0]) + " images");
    }
    const std::size_t first = pixels.size();
    pixels.resize(first + data->data.size());
    for (std::int64_t i = 0; i < data->shape[0]; ++i) {
      const auto& v = *ids->items[static_cast<std::size_t>(i)];
      if (v.kind != pickle::Value::Kind::integer || v.integer < 0 || v.integer >= l.classes) {
        throw IOError(file.string() + ": label " + std::to_string(v.integer) + " of image " + std::to_string(i) +
                      " is outside 0.." + std::to_string(l.classes - 1));
      }
      labels.push_back(static_cast<std::int32_t>(v.integer));
      planes_to_nhwc(reinterpret_cast<const unsigned char*>(data->data.data()) + i * kPixels,
                     pixels.data() + first + static_cast<std::size_t>(i * kPixels));
    }
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  return {Tensor::from_vector(pixels, {n, 32, 32, 3}), Tensor::from_vector(labels, {n, 1})};
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> names_from_meta(const fs::path& meta, const std::string& key) {
  if (!fs::exists(meta)) return {};
  const auto root = pickle::load(meta.string());
  const auto list = pickle::find(*root, key);
  std::vector<std::string> names;
  if (list && list->kind == pickle::Value::Kind::list) {
    for (const auto& v : list->items) names.push_back(v->text);
  }
  return names;
}

std::vector<fs::path> in_folder(const fs::path& folder, const std::vector<std::string>& names) {
  std::vector<fs::path> files;
  for (const auto& n : names) files.push_back(folder / n);
  return files;
}

bool has_all(const fs::path& folder, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (!fs::is_regular_file(folder / n)) return false;
  }
  return true;
}

// The candidate folders: the given path (itself, or the version folders inside it), else
// Keras' cache locations and ./data.
std::vector<fs::path> candidates(const std::string& path, const Layout& l) {
  std::vector<fs::path> bases;
  if (!path.empty()) {
    bases.push_back(path);
  } else {
    if (const char* keras_home = std::getenv("KERAS_HOME")) bases.push_back(fs::path(keras_home) / "datasets");
    if (const char* home = std::getenv("HOME")) bases.push_back(fs::path(home) / ".keras" / "datasets");
    bases.push_back("data");
  }
  std::vector<fs::path> folders;
  for (const auto& b : bases) {
    folders.push_back(b);
    folders.push_back(b / l.binary_folder);
    folders.push_back(b / l.python_folder);
  }
  return folders;
}

// The folder holding one complete version, and which version it is.
struct Found {
  fs::path folder;
  bool binary;
};

Found locate(const Layout& l, const std::string& path) {
  const auto folders = candidates(path, l);
  for (const auto& folder : folders) {
    if (has_all(folder, l.binary_train) && has_all(folder, l.binary_test)) return {folder, true};
    if (has_all(folder, l.python_train) && has_all(folder, l.python_test)) return {folder, false};
  }
  std::string searched;
  for (const auto& f : folders) searched += "\n  " + f.string();
  throw IOError(std::string(l.name) + " not found. Looked for the binary version (" + l.binary_folder +
                ") or the python version (" + l.python_folder + ") in:" + searched +
                "\nDownload either from " + kDownload + ", unpack it, and pass its folder as .path (or put it in "
                "~/.keras/datasets, where Keras keeps it).");
}

TrainTest load(const Layout& l, const std::string& path, const std::string& label_key) {
  const Found f = locate(l, path);
  if (f.binary) return {from_records(l, in_folder(f.folder, l.binary_train)), from_records(l, in_folder(f.folder, l.binary_test))};
  return {from_pickles(l, in_folder(f.folder, l.python_train), label_key),
          from_pickles(l, in_folder(f.folder, l.python_test), label_key)};
}

std::vector<std::string> names(const Layout& l, const std::string& path, const std::string& names_file,
                               const std::string& meta_key) {
  const Found f = locate(l, path);
  auto result = f.binary ? lines_of(f.folder / names_file)
                         : names_from_meta(f.folder / (l.classes == 10 ? "batches.meta" : "meta"), meta_key);
  if (static_cast<std::int64_t>(result.size()) != l.classes) {
    throw IOError((f.folder / (f.binary ? names_file : std::string("meta"))).string() + ": found " +
                  std::to_string(result.size()) + " class names, expected " + std::to_string(l.classes));
  }
  return result;
}

}  // namespace

namespace cifar100 {
TrainTest load_data(LoadOptions o) {
  if (o.label_mode != "fine" && o.label_mode != "coarse") {
    throw ValueError("cifar100::load_data: label_mode must be \"fine\" or \"coarse\", got \"" + o.label_mode + "\"");
  }
  const bool coarse = o.label_mode == "coarse";
  return load(cifar100_layout(coarse), o.path, coarse ? "coarse_labels" : "fine_labels");
}
std::vector<std::string> class_names(LoadOptions o) {
  const bool coarse = o.label_mode == "coarse";
  return names(cifar100_layout(coarse), o.path, coarse ? "coarse_label_names.txt" : "fine_label_names.txt",
               coarse ? "coarse_label_names" : "fine_label_names");
}
}  // namespace cifar100

namespace cifar10 {
TrainTest load_data(LoadOptions o) { return load(cifar10_layout(), o.path, "labels"); }
std::vector<std::string> class_names(LoadOptions o) {
  return names(cifar10_layout(), o.path, "batches.meta.txt", "label_names");
}
}  // namespace cifar10

}  // namespace keras::datasets
