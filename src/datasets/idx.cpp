// IDX files (LeCun's format for MNIST and Fashion-MNIST): a big-endian header of magic number
// (0x00000800 | rank for unsigned bytes) and dimensions, then the bytes. zlib's gzread reads
// gzipped and plain files alike.
#include <zlib.h>

#include <filesystem>
#include <memory>

#include "keras/datasets/fashion_mnist.hpp"

namespace keras::datasets {

namespace {
struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

std::uint32_t read_be32(gzFile f, const std::string& path, long offset, const char* what) {
  unsigned char b[4];
  if (gzread(f, b, 4) != 4) {
    throw IOError(path + ": truncated at byte " + std::to_string(offset) + " while reading the " + what +
                  " (an IDX header is 4 bytes of magic number and 4 per dimension)");
  }
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) | b[3];
}
}  // namespace

Tensor read_idx(const std::string& path) {
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw IOError(path + ": cannot open the file");
  const std::uint32_t magic = read_be32(file.get(), path, 0, "magic number");
  const std::uint32_t rank = magic & 0xFF;
  if ((magic >> 8) != 0x08 || rank < 1 || rank > 4) {
    throw IOError(path + ": bad magic number " + std::to_string(magic) + " at byte 0; expected 2049 (labels) or " +
                  "2051 (images): unsigned bytes of rank 1 to 4. Is this an IDX file?");
  }
  std::vector<std::int64_t> dims;
  for (std::uint32_t i = 0; i < rank; ++i) {
    dims.push_back(read_be32(file.get(), path, 4 + 4 * static_cast<long>(i), "dimensions"));
  }
  const Shape shape(dims);
  const auto bytes = static_cast<std::size_t>(shape.num_elements());
  std::vector<std::uint8_t> data(bytes);
  std::size_t done = 0;
  while (done < bytes) {
    const int chunk = gzread(file.get(), data.data() + done, static_cast<unsigned>(std::min<std::size_t>(bytes - done, 1 << 30)));
    if (chunk <= 0) {
      throw IOError(path + ": truncated at data byte " + std::to_string(done) + " of " + std::to_string(bytes) +
                    " announced by its header " + to_string(shape));
    }
    done += static_cast<std::size_t>(chunk);
  }
  return Tensor::from_vector(data, shape);
}

namespace {
std::string find_idx(const std::string& folder, const std::string& stem, const std::string& help) {
  for (const std::string& name : {stem + ".gz", stem}) {
    const std::filesystem::path p = std::filesystem::path(folder) / name;
    if (std::filesystem::exists(p)) return p.string();
  }
  throw IOError("cannot find " + stem + "(.gz) in '" + folder + "'. " + help);
}

TrainTest load_idx_folder(const std::string& folder, const std::string& help) {
  TrainTest d;
  d.train.x = read_idx(find_idx(folder, "train-images-idx3-ubyte", help));
  d.train.y = read_idx(find_idx(folder, "train-labels-idx1-ubyte", help));
  d.test.x = read_idx(find_idx(folder, "t10k-images-idx3-ubyte", help));
  d.test.y = read_idx(find_idx(folder, "t10k-labels-idx1-ubyte", help));
  for (const Split* s : {&d.train, &d.test}) {
    if (s->x.rank() != 3 || s->y.rank() != 1 || s->x.dim(0) != s->y.dim(0)) {
      throw IOError("'" + folder + "': images " + to_string(s->x.shape()) + " and labels " + to_string(s->y.shape()) +
                    " do not pair up; expected (n, rows, cols) images and (n,) labels");
    }
    for (std::uint8_t label : s->y.to_vector<std::uint8_t>()) {
      if (label > 9) throw IOError("'" + folder + "': label " + std::to_string(label) + " is outside 0..9");
    }
  }
  return d;
}
}  // namespace

namespace fashion_mnist {
TrainTest load_data(LoadOptions o) {
  return load_idx_folder(o.path, "Install Debian's package dataset-fashion-mnist (apt-get install "
                                 "dataset-fashion-mnist), or download the four files from "
                                 "https://github.com/zalandoresearch/fashion-mnist and pass their folder as .path");
}
std::vector<std::string> class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}
}  // namespace fashion_mnist

namespace mnist {
TrainTest load_data(LoadOptions o) {
  if (o.path.empty()) {
    throw IOError("mnist::load_data needs .path: the folder with the four IDX files from "
                  "http://yann.lecun.com/exdb/mnist/");
  }
  return load_idx_folder(o.path, "Download the four files from http://yann.lecun.com/exdb/mnist/");
}
}  // namespace mnist

}  // namespace keras::datasets
