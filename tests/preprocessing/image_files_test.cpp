#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <filesystem>
#include <fstream>

#include "keras/keras.hpp"
#include "support/temp_path.hpp"

using namespace keras;
using preprocessing::ImageDataGenerator;
namespace fs = std::filesystem;

namespace {
// A solid-colour image file (PNG or JPEG by extension).
void write_image(const fs::path& path, int h, int w, unsigned char r, unsigned char g, unsigned char b) {
  std::vector<unsigned char> px(static_cast<std::size_t>(h * w * 3));
  for (std::size_t i = 0; i < px.size(); i += 3) px[i] = r, px[i + 1] = g, px[i + 2] = b;
  fs::create_directories(path.parent_path());
  const bool ok = path.extension() == ".png" ? stbi_write_png(path.c_str(), w, h, 3, px.data(), w * 3)
                                             : stbi_write_jpg(path.c_str(), w, h, 3, px.data(), 95);
  REQUIRE(ok);
}

fs::path make_folder() {
  const fs::path root = test_support::temp_path("flow_from_directory");
  fs::remove_all(root);
  write_image(root / "dog" / "b.png", 6, 8, 0, 0, 200);
  write_image(root / "dog" / "a.png", 6, 8, 0, 0, 100);
  write_image(root / "cat" / "2.png", 6, 8, 20, 0, 0);
  write_image(root / "cat" / "1.jpg", 6, 8, 10, 0, 0);
  write_image(root / "cat" / "nested" / "3.png", 6, 8, 30, 0, 0);
  std::ofstream(root / "cat" / "notes.txt") << "not an image";
  return root;
}
}  // namespace

TEST_CASE("load_img reads and resizes PNG and JPEG files, and names a bad file") {
  const fs::path root = make_folder();
  const Tensor png = preprocessing::load_img((root / "dog" / "a.png").string());
  CHECK(png.shape() == Shape{6, 8, 3});
  CHECK(png.at<float>({2, 3, 2}) == 100.0f);
  CHECK(preprocessing::load_img((root / "cat" / "1.jpg").string(), {.target_size = std::pair{4, 4}}).shape() ==
        Shape{4, 4, 3});
  CHECK(preprocessing::load_img((root / "dog" / "b.png").string(), {.color_mode = "grayscale"}).shape() == Shape{6, 8, 1});
  try {
    preprocessing::load_img((root / "cat" / "notes.txt").string());
    FAIL("expected an IOError");
  } catch (const IOError& e) {
    CHECK(std::string(e.what()).find("notes.txt") != std::string::npos);
  }
}

TEST_CASE("flow_from_directory lists classes and files as Keras does") {
  const fs::path root = make_folder();
  ImageDataGenerator gen({.rescale = 1.0 / 255.0});
  auto flow = gen.flow_from_directory(root.string(), {.target_size = {6, 8}, .batch_size = 5, .shuffle = false});
  CHECK(flow.class_names() == std::vector<std::string>{"cat", "dog"});
  CHECK(flow.samples() == 5);  // notes.txt is skipped; nested folders count
  CHECK(flow.classes() == std::vector<std::int32_t>{0, 0, 0, 1, 1});
  CHECK(fs::path(flow.filenames()[0]).filename() == "1.jpg");
  CHECK(fs::path(flow.filenames()[2]).filename() == "3.png");
  const utils::Batch b = flow.get(0);
  CHECK(b.x.front().shape() == Shape{5, 6, 8, 3});
  CHECK(b.x.front().at<float>({4, 0, 0, 2}) == doctest::Approx(200.0 / 255.0));
  CHECK(b.y.front().shape() == Shape{5, 2});
  CHECK(b.y.front().to_vector<float>() == std::vector<float>{1, 0, 1, 0, 1, 0, 0, 1, 0, 1});
  auto sparse = gen.flow_from_directory(root.string(), {.target_size = {3, 4}, .class_mode = "sparse", .shuffle = false});
  CHECK(sparse.get(0).y.front().to_vector<float>() == std::vector<float>{0, 0, 0, 1, 1});
  CHECK(sparse.get(0).x.front().shape() == Shape{5, 3, 4, 3});
  // validation_split: each class gives its first fraction of files to validation.
  ImageDataGenerator split({.validation_split = 0.5});
  auto validation = split.flow_from_directory(root.string(), {.target_size = {6, 8}, .shuffle = false, .subset = "validation"});
  auto training = split.flow_from_directory(root.string(), {.target_size = {6, 8}, .shuffle = false, .subset = "training"});
  CHECK(validation.samples() == 2);  // int(0.5 * 3) cats, int(0.5 * 2) dogs
  CHECK(training.samples() == 3);
  CHECK_THROWS_AS(gen.flow_from_directory(root.string(), {.class_mode = "multi"}), ValueError);
  CHECK_THROWS_AS(gen.flow_from_directory((root / "missing").string()), IOError);
}

TEST_CASE("a flow_from_directory shard reads only its own files") {
  const fs::path root = make_folder();
  ImageDataGenerator gen({.horizontal_flip = true});
  auto flow = gen.flow_from_directory(root.string(), {.target_size = {6, 8}, .batch_size = 5, .shuffle = false, .seed = 3});
  const utils::Batch whole = flow.get(0);
  // The last two files (the dogs) are the second of 2 shards; without them the first still reads.
  fs::remove(root / "dog" / "a.png");
  fs::remove(root / "dog" / "b.png");
  const utils::Batch first = flow.get_shard(0, 0, 2);
  CHECK(first.x.front().shape() == Shape{2, 6, 8, 3});
  CHECK(first.x.front().to_vector<float>() == whole.x.front().slice(0, 2).to_vector<float>());
  CHECK(first.y.front().to_vector<float>() == whole.y.front().slice(0, 2).to_vector<float>());
  CHECK_THROWS_AS(flow.get(0), IOError);
  CHECK_THROWS_AS(flow.get_shard(0, 1, 2), IOError);
}
