// Image files through stb_image (Debian's libstb), and flow_from_directory's file listing:
// Keras' sorted class folders, sorted files, white-listed extensions, per-class subsets.
#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "keras/ops/array.hpp"
#include "keras/preprocessing/image_data_generator.hpp"

namespace keras::preprocessing {

namespace {
namespace fs = std::filesystem;

int channels_of(const std::string& color_mode) {
  if (color_mode == "grayscale") return 1;
  if (color_mode == "rgb") return 3;
  if (color_mode == "rgba") return 4;
  throw ValueError("color_mode must be \"grayscale\", \"rgb\" or \"rgba\", got \"" + color_mode + "\"");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Keras' white list; stb reads all of them but TIFF, which then fails with its name.
bool image_file(const fs::path& p) {
  const std::string ext = lower(p.extension().string());
  for (const char* e : {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff"}) {
    if (ext == e) return true;
  }
  return false;
}

// Files under `folder`, recursively, folders in sorted order and files sorted within each.
std::vector<fs::path> image_files(const fs::path& folder) {
  std::vector<fs::path> dirs{folder};
  for (const auto& entry : fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<fs::path> files;
  for (const auto& d : dirs) {
    std::vector<fs::path> here;
    for (const auto& entry : fs::directory_iterator(d)) {
      if (entry.is_regular_file() && image_file(entry.path())) here.push_back(entry.path());
    }
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  return files;
}
}  // namespace

Tensor load_img(const std::string& path, LoadImgOptions o) {
  const int channels = channels_of(o.color_mode);
  int w = 0, h = 0, found = 0;
  unsigned char* pixels = stbi_load(path.c_str(), &w, &h, &found, channels);
  if (!pixels) {
    throw IOError(path + ": cannot read the image (" + std::string(stbi_failure_reason()) +
                  "); PNG, JPEG, BMP, GIF, TGA and PNM files are supported");
  }
  std::vector<float> values(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * static_cast<std::size_t>(channels));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = pixels[i];
  stbi_image_free(pixels);
  Tensor image = Tensor::from_vector(values, {h, w, channels});
  if (o.target_size && (o.target_size->first != h || o.target_size->second != w)) {
    image = ops::resize(ops::reshape(image, {1, h, w, channels}), o.target_size->first, o.target_size->second,
                        o.interpolation)[0];
  }
  return image;
}

void save_img(const std::string& path, const Tensor& image, SaveImgOptions o) {
  if (image.rank() != 3 || (image.dim(2) != 1 && image.dim(2) != 3 && image.dim(2) != 4)) {
    throw ShapeError("save_img: expects an image (height, width, 1, 3 or 4 channels), got " + to_string(image.shape()));
  }
  auto v = (image.dtype() == float32 ? image : image.astype(float32)).to_vector<float>();
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  const float low = *lo, range = *hi - *lo;
  std::vector<unsigned char> px(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const float level = o.scale ? (range != 0.0f ? (v[i] - low) / range : 0.0f) * 255.0f : v[i];
    px[i] = static_cast<unsigned char>(std::isnan(level) ? 0.0f : std::clamp(level, 0.0f, 255.0f));
  }
  const auto h = static_cast<int>(image.dim(0)), w = static_cast<int>(image.dim(1)), c = static_cast<int>(image.dim(2));
  const fs::path target(path);
  const std::string ext = lower(target.extension().string());
  const fs::path temporary = target.parent_path() / ("." + target.filename().string() + ".tmp");
  const bool ok = ext == ".png"                    ? stbi_write_png(temporary.c_str(), w, h, c, px.data(), w * c)
                  : ext == ".jpg" || ext == ".jpeg" ? stbi_write_jpg(temporary.c_str(), w, h, c, px.data(), 95)
                                                   : throw ValueError("save_img: '" + path + "' must end in .png, .jpg or .jpeg");
  if (!ok) throw IOError("save_img: cannot write '" + temporary.string() + "' (does the folder exist?)");
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) throw IOError("save_img: cannot rename '" + temporary.string() + "' to '" + path + "': " + error.message());
}

DirectoryIterator ImageDataGenerator::flow_from_directory(const std::string& directory, DirectoryOptions options) const {
  return DirectoryIterator(*this, directory, std::move(options));
}

DirectoryIterator::Listing DirectoryIterator::list(const std::string& directory, const DirectoryOptions& o,
                                                   double validation_split) {
  if (!fs::is_directory(directory)) throw IOError("flow_from_directory: '" + directory + "' is not a folder");
  Listing l;
  l.names = o.classes;
  if (l.names.empty()) {
    for (const auto& entry : fs::directory_iterator(directory)) {
      if (entry.is_directory()) l.names.push_back(entry.path().filename().string());
    }
    std::sort(l.names.begin(), l.names.end());
  }
  if (l.names.empty()) {
    throw IOError("flow_from_directory: '" + directory + "' has no class subfolders (expected one folder per class)");
  }
  for (std::size_t c = 0; c < l.names.size(); ++c) {
    const fs::path folder = fs::path(directory) / l.names[c];
    if (!fs::is_directory(folder)) throw IOError("flow_from_directory: class folder '" + folder.string() + "' is missing");
    const auto files = image_files(folder);
    const auto n = static_cast<std::int64_t>(files.size());
    // Keras splits each class: validation is its first fraction of files.
    std::int64_t start = 0, stop = n;
    if (o.subset == "validation") stop = static_cast<std::int64_t>(validation_split * static_cast<double>(n));
    else if (o.subset == "training") start = static_cast<std::int64_t>(validation_split * static_cast<double>(n));
    else if (!o.subset.empty()) {
      throw ValueError("flow_from_directory: subset must be \"training\" or \"validation\", got \"" + o.subset + "\"");
    }
    for (std::int64_t i = start; i < stop; ++i) {
      l.files.push_back(files[static_cast<std::size_t>(i)].string());
      l.labels.push_back(static_cast<std::int32_t>(c));
    }
  }
  if (!o.subset.empty() && validation_split <= 0.0) {
    throw ValueError("flow_from_directory: subset needs the generator's validation_split");
  }
  return l;
}

namespace {
FlowOptions flow_options(const DirectoryOptions& o) {
  return {o.batch_size, o.shuffle, o.seed, o.subset, o.save_to_dir, o.save_prefix, o.save_format};
}
}  // namespace

DirectoryIterator::DirectoryIterator(const ImageDataGenerator& generator, const std::string& directory,
                                     DirectoryOptions options)
    : DirectoryIterator(generator, list(directory, options, generator.options().validation_split), options) {}

DirectoryIterator::DirectoryIterator(const ImageDataGenerator& generator, Listing l, const DirectoryOptions& options)
    : ImageIterator(generator, static_cast<std::int64_t>(l.files.size()), flow_options(options)), d_(options) {
  channels_of(d_.color_mode);
  const std::vector<std::string> modes{"categorical", "binary", "sparse", "input", ""};
  if (std::find(modes.begin(), modes.end(), d_.class_mode) == modes.end()) {
    throw ValueError("flow_from_directory: class_mode must be \"categorical\", \"binary\", \"sparse\", \"input\" "
                     "or \"\" (none), got \"" + d_.class_mode + "\"");
  }
  if (d_.class_mode == "binary" && l.names.size() != 2) {
    throw ValueError("flow_from_directory: class_mode \"binary\" needs exactly 2 classes, found " +
                     std::to_string(l.names.size()));
  }
  files_ = std::move(l.files);
  names_ = std::move(l.names);
  labels_ = std::move(l.labels);
}

Tensor DirectoryIterator::images(const std::vector<std::int64_t>& rows) const {
  const auto [h, w] = d_.target_size;
  const int c = channels_of(d_.color_mode);
  std::vector<float> all;
  all.reserve(rows.size() * static_cast<std::size_t>(h * w * c));
  for (std::int64_t r : rows) {
    const auto v = load_img(files_[static_cast<std::size_t>(r)],
                            {.color_mode = d_.color_mode, .target_size = d_.target_size, .interpolation = d_.interpolation})
                       .to_vector<float>();
    all.insert(all.end(), v.begin(), v.end());
  }
  return Tensor::from_vector(all, {static_cast<std::int64_t>(rows.size()), h, w, c});
}

Tensor DirectoryIterator::targets(const std::vector<std::int64_t>& rows, const Tensor& transformed) const {
  if (d_.class_mode.empty()) return {};
  if (d_.class_mode == "input") return transformed;
  std::vector<float> ids;
  for (std::int64_t r : rows) ids.push_back(static_cast<float>(labels_[static_cast<std::size_t>(r)]));
  const Tensor sparse = Tensor::from_vector(ids, {static_cast<std::int64_t>(ids.size())});
  if (d_.class_mode != "categorical") return sparse;  // "sparse" and "binary": float32 class ids
  return ops::one_hot(sparse.astype(int32), static_cast<std::int64_t>(names_.size()));
}

}  // namespace keras::preprocessing
