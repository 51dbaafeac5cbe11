// CIFAR loaders on genuine records: ../shared/data/cifar-100-binary-head holds the first 1117
// train and 916 test images of the official binary version, with every label in TSV files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "keras/keras.hpp"
#include "support/temp_path.hpp"
#include "support/error_of.hpp"

using namespace keras;
using test_support::error_of;
namespace fs = std::filesystem;

namespace {
const fs::path kShared = fs::path(KERASCPP_SOURCE_DIR) / ".." / "shared" / "data" / "cifar-100-binary-head";
const fs::path kPythonFixture = fs::path(KERASCPP_SOURCE_DIR) / "tests" / "fixtures" / "cifar-100-python";

// Fine and coarse labels of a split's TSV (index, filename, fine, coarse).
std::vector<std::pair<int, int>> tsv_labels(const std::string& split) {
  std::ifstream in(kShared / (split + "_labels_all.tsv"));
  std::vector<std::pair<int, int>> labels;
  for (std::string line; std::getline(in, line);) {
    std::istringstream row(line);
    std::string index, name;
    int fine = 0, coarse = 0;
    row >> index >> name >> fine >> coarse;
    labels.emplace_back(fine, coarse);
  }
  return labels;
}


// A pickle as Python 2's cPickle wrote the official files: str keys as SHORT_BINSTRING, the
// numpy array rebuilt by numpy.core.multiarray._reconstruct with its bytes in a BINSTRING.
std::string python2_pickle(const std::vector<int>& fine, const std::vector<int>& coarse, const std::string& pixels) {
  auto short_str = [](const std::string& s) { return "U" + std::string(1, char(s.size())) + s; };
  auto u32 = [](std::uint32_t v) {
    std::string b(4, '\0');
    for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = char((v >> (8 * i)) & 0xFF);
    return b;
  };
  auto int_list = [&](const std::vector<int>& v) {
    std::string s = "](";
    for (int x : v) s += "K" + std::string(1, char(x));
    return s + "e";
  };
  const auto n = static_cast<std::uint32_t>(fine.size());
  std::string p = "\x80\x02}(";
  p += short_str("data") + "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK";
  p += std::string(1, '\0') + "\x85" + short_str("b") + "\x87R(K\x01J" + u32(n) + "M" + std::string("\x00\x0c", 2) +
       "\x86" + "cnumpy\ndtype\n" + short_str("u1") + "K" + std::string(1, '\0') + "K\x01\x87R(K\x03" + short_str("|") +
       "NNNJ" + u32(0xFFFFFFFF) + "J" + u32(0xFFFFFFFF) + "K" + std::string(1, '\0') + "tb\x89T" + u32(static_cast<std::uint32_t>(pixels.size())) +
       pixels + "tb";
  p += short_str("fine_labels") + int_list(fine) + short_str("coarse_labels") + int_list(coarse) + "u.";
  return p;
}
}  // namespace

TEST_CASE("cifar100 reads the genuine binary records with the labels of the official TSVs") {
  if (!fs::exists(kShared)) {
    MESSAGE("SKIPPED: " << kShared.string() << " is absent (it ships in the project's shared/ folder)");
    return;
  }
  for (const std::string mode : {"fine", "coarse"}) {
    auto [train, test] = datasets::cifar100::load_data({.label_mode = mode, .path = kShared.string()});
    CHECK(train.x.shape() == Shape{1117, 32, 32, 3});
    CHECK(test.x.shape() == Shape{916, 32, 32, 3});
    CHECK(train.y.shape() == Shape{1117, 1});
    CHECK(train.x.dtype() == uint8);
    for (const auto& [split, y] : {std::pair{std::string("train"), train.y}, std::pair{std::string("test"), test.y}}) {
      const auto expected = tsv_labels(split);
      const auto got = y.to_vector<std::int32_t>();
      int mismatches = 0;
      for (std::size_t i = 0; i < got.size(); ++i) {
        mismatches += got[i] != (mode == "fine" ? expected[i].first : expected[i].second);
      }
      CHECK(mismatches == 0);
    }
  }
  const auto fine = datasets::cifar100::class_names({.path = kShared.string()});
  REQUIRE(fine.size() == 100);
  CHECK(fine[0] == "apple");
  CHECK(fine[49] == "mountain");  // test image 0 (a volcano file) has fine label 49
  CHECK(datasets::cifar100::class_names({.label_mode = "coarse", .path = kShared.string()}).size() == 20);
  // Channels-last: pixel (0, 0) of image 0 is bytes 2, 1026 and 2050 of its record.
  std::ifstream raw(kShared / "test.bin", std::ios::binary);
  std::string record(3074, '\0');
  raw.read(record.data(), 3074);
  auto [train, test] = datasets::cifar100::load_data({.path = kShared.string()});
  CHECK(test.x.at<std::uint8_t>({0, 0, 0, 0}) == static_cast<std::uint8_t>(record[2]));
  CHECK(test.x.at<std::uint8_t>({0, 0, 0, 1}) == static_cast<std::uint8_t>(record[2 + 1024]));
  CHECK(test.x.at<std::uint8_t>({0, 31, 31, 2}) == static_cast<std::uint8_t>(record[2 + 2048 + 1023]));
}

TEST_CASE("the python version reads to the same tensors as the binary one") {
  if (!fs::exists(kShared)) {
    MESSAGE("SKIPPED: " << kShared.string() << " is absent");
    return;
  }
  auto [bin_train, bin_test] = datasets::cifar100::load_data({.path = kShared.string()});
  // Pickles written by Python 3 and numpy (protocol 2), committed by tools/make_cifar_python_fixture.py.
  auto [py_train, py_test] = datasets::cifar100::load_data({.path = kPythonFixture.string()});
  CHECK(py_train.x.to_vector<std::uint8_t>() == bin_train.x.slice(0, 6).to_vector<std::uint8_t>());
  CHECK(py_test.y.to_vector<std::int32_t>() == bin_test.y.slice(0, 4).to_vector<std::int32_t>());
  CHECK(datasets::cifar100::class_names({.path = kPythonFixture.string()}) ==
        datasets::cifar100::class_names({.path = kShared.string()}));
  // Pickles as the official files were written (Python 2), made here from the binary records.
  const fs::path dir = test_support::temp_path("cifar_py2") / "cifar-100-python";
  fs::create_directories(dir);
  std::ifstream raw(kShared / "train.bin", std::ios::binary);
  for (const auto& [split, n] : {std::pair{"train", 5}, std::pair{"test", 3}}) {
    std::vector<int> fine, coarse;
    std::string pixels;
    for (int i = 0; i < n; ++i) {
      std::string record(3074, '\0');
      raw.read(record.data(), 3074);
      coarse.push_back(static_cast<unsigned char>(record[0]));
      fine.push_back(static_cast<unsigned char>(record[1]));
      pixels += record.substr(2);
    }
    std::ofstream(dir / split, std::ios::binary) << python2_pickle(fine, coarse, pixels);
  }
  auto [train2, test2] = datasets::cifar100::load_data({.path = dir.parent_path().string()});
  CHECK(train2.x.to_vector<std::uint8_t>() == bin_train.x.slice(0, 5).to_vector<std::uint8_t>());
  CHECK(test2.x.to_vector<std::uint8_t>() == bin_train.x.slice(5, 8).to_vector<std::uint8_t>());
  CHECK(train2.y.to_vector<std::int32_t>() == bin_train.y.slice(0, 5).to_vector<std::int32_t>());
}

TEST_CASE("missing, truncated and corrupt CIFAR files are clear IOErrors") {
  const fs::path dir = test_support::temp_path("cifar_bad");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string missing = error_of([&] { datasets::cifar100::load_data({.path = dir.string()}); });
  CHECK(missing.find("CIFAR-100 not found") != std::string::npos);
  CHECK(missing.find("cifar-100-binary") != std::string::npos);
  CHECK(missing.find("https://www.cs.toronto.edu/~kriz/cifar.html") != std::string::npos);
  std::ofstream(dir / "train.bin", std::ios::binary) << std::string(3074 * 2 + 100, '\x01');
  std::ofstream(dir / "test.bin", std::ios::binary) << std::string(3074, '\x01');
  const std::string truncated = error_of([&] { datasets::cifar100::load_data({.path = dir.string()}); });
  CHECK(truncated.find("train.bin: 6248 bytes is not a whole number of 3074-byte") != std::string::npos);
  std::string bad_label(3074, '\x01');
  bad_label[1] = char(150);
  std::ofstream(dir / "train.bin", std::ios::binary | std::ios::trunc) << bad_label;
  const std::string label = error_of([&] { datasets::cifar100::load_data({.path = dir.string()}); });
  CHECK(label.find("label 150 at byte 1 (record 0) is outside 0..99") != std::string::npos);
  const fs::path py = dir / "cifar-100-python";
  fs::create_directories(py);
  fs::remove(dir / "train.bin");
  std::ofstream(py / "train", std::ios::binary) << "\x80\x02}(U\x04" "datacos\nsystem\n";
  std::ofstream(py / "test", std::ios::binary) << "not a pickle";
  const std::string pickle = error_of([&] { datasets::cifar100::load_data({.path = dir.string()}); });
  CHECK(pickle.find("train") != std::string::npos);
  CHECK(pickle.find("at byte") != std::string::npos);
  CHECK_THROWS_AS(datasets::cifar100::load_data({.label_mode = "medium", .path = dir.string()}), ValueError);
}
