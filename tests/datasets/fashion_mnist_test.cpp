#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <zlib.h>

#include "keras/keras.hpp"
#include "support/temp_path.hpp"
#include "support/error_of.hpp"

using namespace keras;
using test_support::error_of;
namespace fs = std::filesystem;

namespace {
std::string be32(std::uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xFF), char((v >> 8) & 0xFF), char(v & 0xFF)};
}
}  // namespace

TEST_CASE("fashion_mnist loads Debian's package as Keras returns it") {
  auto [train, test] = datasets::fashion_mnist::load_data();
  CHECK(train.x.shape() == Shape{60000, 28, 28});
  CHECK(train.y.shape() == Shape{60000});
  CHECK(test.x.shape() == Shape{10000, 28, 28});
  CHECK(train.x.dtype() == uint8);
  std::vector<int> counts(10, 0);
  for (auto label : test.y.to_vector<std::uint8_t>()) ++counts[label];
  CHECK(counts == std::vector<int>(10, 1000));  // the official test split is balanced
  CHECK(datasets::fashion_mnist::class_names().at(9) == "Ankle boot");
}

TEST_CASE("IDX files: plain and gzipped read alike, bad ones name the file and offset") {
  const fs::path dir = test_support::temp_path("idx_test");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string images = be32(0x803) + be32(2) + be32(2) + be32(3) + std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12);
  std::ofstream(dir / "plain", std::ios::binary) << images;
  gzFile gz = gzopen((dir / "packed.gz").c_str(), "wb");
  gzwrite(gz, images.data(), static_cast<unsigned>(images.size()));
  gzclose(gz);
  const Tensor plain = datasets::read_idx((dir / "plain").string());
  CHECK(plain.shape() == Shape{2, 2, 3});
  CHECK(plain.at<std::uint8_t>({1, 1, 2}) == 12);
  CHECK(datasets::read_idx((dir / "packed.gz").string()).to_vector<std::uint8_t>() == plain.to_vector<std::uint8_t>());

  std::ofstream(dir / "short", std::ios::binary) << images.substr(0, images.size() - 2);
  CHECK(error_of([&] { datasets::read_idx((dir / "short").string()); }).find("truncated at data byte 10 of 12") !=
        std::string::npos);
  std::ofstream(dir / "magic", std::ios::binary) << be32(0x1234) + be32(1);
  const std::string magic = error_of([&] { datasets::read_idx((dir / "magic").string()); });
  CHECK(magic.find("bad magic number 4660 at byte 0") != std::string::npos);
  CHECK(magic.find((dir / "magic").string()) != std::string::npos);
  std::ofstream(dir / "header", std::ios::binary) << be32(0x803) + be32(2);
  CHECK(error_of([&] { datasets::read_idx((dir / "header").string()); }).find("truncated at byte 8") != std::string::npos);
  const std::string missing = error_of([&] { datasets::fashion_mnist::load_data({.path = dir.string()}); });
  CHECK(missing.find("train-images-idx3-ubyte") != std::string::npos);
  CHECK(missing.find("apt-get install dataset-fashion-mnist") != std::string::npos);
}
