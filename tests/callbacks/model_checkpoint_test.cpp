// ModelCheckpoint: Keras' file name templates, save_best_only with its modes and threshold,
// weights-only files and saving every N batches.
#include <doctest/doctest.h>

#include <filesystem>

#include "keras/keras.hpp"
#include "support/error_of.hpp"
#include "support/temp_path.hpp"

using namespace keras;
namespace fs = std::filesystem;

namespace {

std::pair<Tensor, Tensor> data() { return {random::uniform({40, 4}, {-1.0f, 1.0f, 1}), random::randint({40}, 0, 3, {2})}; }

Sequential small_model() {
  Sequential model({layers::Input({4}), layers::Dense(3, {.activation = "softmax"})});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  return model;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("ModelCheckpoint fills Keras' file name templates") {
  const callbacks::Logs logs{{"val_loss", 0.12345}, {"accuracy", 0.5}};
  CHECK(callbacks::format_filepath("weights.{epoch:02d}-{val_loss:.2f}.h5", 4, logs) == "weights.05-0.12.h5");
  CHECK(callbacks::format_filepath("m_{epoch}_{accuracy}.keras", 0, logs) == "m_1_0.5.keras");
  CHECK(callbacks::format_filepath("{val_loss:8.3f}|{epoch:3d}|{{x}}", 9, logs) == "   0.123| 10|{x}");
  CHECK(test_support::error_of([&] { callbacks::format_filepath("{val_acc:.2f}.h5", 0, logs); })
            .find("val_acc") != std::string::npos);
  CHECK(test_support::error_of([&] { callbacks::format_filepath("{epoch:>5}.h5", 0, logs); })
            .find("format spec") != std::string::npos);
  CHECK(test_support::error_of([] { callbacks::ModelCheckpoint("model.txt"); }).find(".keras") != std::string::npos);
  CHECK(test_support::error_of([] { callbacks::ModelCheckpoint("w.keras", {.save_weights_only = true}); })
            .find(".weights.h5") != std::string::npos);
}

TEST_CASE("ModelCheckpoint saves every epoch, or only improvements, or every N batches") {
  auto [x, y] = data();
  const fs::path dir = test_support::temp_path("checkpoints");
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    Sequential model = small_model();
    model.fit(x, y, {.batch_size = 10, .epochs = 3, .verbose = 0,
                     .callbacks = {callbacks::ModelCheckpoint((dir / "w.{epoch:02d}.weights.h5").string(),
                                                              {.save_weights_only = true})}});
    CHECK(files_in(dir) == std::vector<std::string>{"w.01.weights.h5", "w.02.weights.h5", "w.03.weights.h5"});
    Sequential other = small_model();
    other.load_weights((dir / "w.03.weights.h5").string());
    CHECK(other.get_weights()[0].to_vector<float>() == model.get_weights()[0].to_vector<float>());
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    // A threshold no epoch beats: nothing is saved; "max" on a loss inverts the test.
    Sequential model = small_model();
    auto never = callbacks::ModelCheckpoint((dir / "never.keras").string(),
                                            {.monitor = "loss", .save_best_only = true, .initial_value_threshold = 0.0});
    auto best = callbacks::ModelCheckpoint((dir / "best.keras").string(), {.monitor = "loss", .save_best_only = true});
    auto worst = callbacks::ModelCheckpoint((dir / "worst.{epoch}.keras").string(),
                                            {.monitor = "loss", .save_best_only = true, .mode = "max"});
    auto history = model.fit(x, y, {.batch_size = 10, .epochs = 4, .verbose = 0, .callbacks = {never, best, worst}});
    const auto& losses = history.history.at("loss");
    CHECK_FALSE(fs::exists(dir / "never.keras"));
    CHECK(best->best == doctest::Approx(*std::min_element(losses.begin(), losses.end())));
    Model loaded = models::load_model((dir / "best.keras").string());
    CHECK(loaded.optimizer()->iterations() > 0);
    // Losses fall every epoch here, so "max" saves only the first.
    REQUIRE(losses[1] < losses[0]);
    CHECK(fs::exists(dir / "worst.1.keras"));
    CHECK_FALSE(fs::exists(dir / "worst.2.keras"));
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    Sequential model = small_model();
    model.fit(x, y, {.batch_size = 10, .epochs = 2, .verbose = 0,
                     .callbacks = {callbacks::ModelCheckpoint((dir / "b{epoch}-{loss:.3f}.h5").string(), {.save_freq = 3})}});
    CHECK(files_in(dir).size() == 2);  // 8 batches: after the 3rd and the 6th
  }
  fs::remove_all(dir);
}
