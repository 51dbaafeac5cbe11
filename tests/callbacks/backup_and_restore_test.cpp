// BackupAndRestore: a fit interrupted (by an exception, or by SIGKILL during an epoch and during
// a backup write) resumes after its last finished epoch and ends with exactly the weights of an
// uninterrupted run; no file is left corrupt.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "keras/keras.hpp"
#include "saving/resumable_training_model.hpp"
#include "support/temp_path.hpp"

extern char** environ;

using namespace keras;
namespace fs = std::filesystem;

namespace {

struct Interrupt {};

void check_same_weights(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].to_vector<float>() == b[i].to_vector<float>());
}

std::vector<Tensor> train(const fs::path& backup, int epochs, int interrupt_at_epoch) {
  utils::set_random_seed(11);
  auto model = test_support::resumable_model();
  auto [x, y] = test_support::resumable_data();
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy"});
  // 8 batches an epoch: throw on the third batch of epoch `interrupt_at_epoch`.
  auto interrupt = callbacks::LambdaCallback({.on_train_batch_end = [&](int batch, callbacks::Logs&) {
    if (interrupt_at_epoch >= 0 && batch == 2 && model.optimizer()->iterations() > 8 * interrupt_at_epoch) throw Interrupt{};
  }});
  model.fit(x, y, {.batch_size = 32, .epochs = epochs, .verbose = 0,
                   .callbacks = {callbacks::BackupAndRestore(backup.string()), interrupt}});
  return model.get_weights();
}

// Runs tests/saving/resumable_training.cpp; returns its pid.
pid_t start_training(const fs::path& folder, int epochs) {
  const std::string program = KERASCPP_RESUMABLE_TRAINING, dir = folder.string(), count = std::to_string(epochs);
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(dir.c_str()), const_cast<char*>(count.c_str()),
                  nullptr};
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ) == 0);
  return pid;
}

bool any_temporary(const fs::path& dir) {
  std::error_code ignored;
  for (const auto& e : fs::directory_iterator(dir, ignored)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
  }
  return false;
}

// Every backup or checkpoint there is opens as a valid file.
void check_files_intact(const fs::path& folder) {
  const fs::path backup = folder / "backup" / "latest.weights.h5";
  if (fs::exists(backup)) {
    const hid_t f = H5Fopen(backup.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f >= 0) {
      CHECK(H5Aexists(f, "training_state") > 0);
      H5Fclose(f);
    }
  }
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("checkpoint.", 0) == 0) CHECK_NOTHROW(models::load_model(e.path().string()));
  }
}

// The last finished epoch a backup records.
int backup_epoch(const fs::path& backup) {
  const hid_t f = H5Fopen(backup.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  const hid_t attr = H5Aopen(f, "training_state", H5P_DEFAULT), type = H5Aget_type(attr);
  char* text = nullptr;
  REQUIRE(H5Aread(attr, type, &text) >= 0);
  const int epoch = nlohmann::json::parse(text).at("epoch").get<int>();
  H5free_memory(text);
  H5Tclose(type);
  H5Aclose(attr);
  H5Fclose(f);
  return epoch;
}

}  // namespace

TEST_CASE("BackupAndRestore resumes an interrupted fit exactly where it stopped") {
  const fs::path dir = test_support::temp_path("backup_in_process");
  fs::remove_all(dir);
  const auto uninterrupted = train(dir, 4, -1);
  CHECK_THROWS_AS(train(dir, 4, 2), Interrupt);         // stops inside the third epoch
  CHECK(fs::exists(dir / "latest.weights.h5"));
  check_same_weights(train(dir, 4, -1), uninterrupted);
  fs::remove_all(dir);
}

TEST_CASE("A training run killed (SIGKILL) during an epoch and during backup writes finishes as if never killed") {
  const int epochs = 12;
  const fs::path reference = test_support::temp_path("kill_reference"), killed = test_support::temp_path("kill_victim");
  fs::remove_all(reference);
  fs::remove_all(killed);
  fs::create_directories(reference);
  fs::create_directories(killed);
  int status = 0;
  waitpid(start_training(reference, epochs), &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  // 1. Killed in the middle of an epoch, after a few (so the resumed run depends on restored
  // random streams: shuffling and dropout, not only on weights).
  pid_t pid = start_training(killed, epochs);
  const auto backup = killed / "backup" / "latest.weights.h5";
  while (!fs::exists(killed / "checkpoint.03.keras")) {
    REQUIRE_MESSAGE(waitpid(pid, &status, WNOHANG) == 0, "the training run ended before its fourth epoch");
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  check_files_intact(killed);
  REQUIRE(fs::exists(backup));
  const int resumed_after = backup_epoch(backup);
  MESSAGE("killed after epoch " << resumed_after + 1 << " of " << epochs);
  CHECK(resumed_after < epochs - 2);

  // 2. Killed while a backup or checkpoint is being written (a temporary file exists): the
  // previous files stay intact. A run may finish before one is caught; the next try resumes.
  int caught = 0;
  bool finished = false;
  for (int attempt = 0; attempt < 8 && !finished && caught < 2; ++attempt) {
    pid = start_training(killed, epochs);
    for (;;) {
      if (any_temporary(killed / "backup") || any_temporary(killed)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        caught += WIFSIGNALED(status) ? 1 : 0;
        finished = WIFEXITED(status);
        break;
      }
      if (waitpid(pid, &status, WNOHANG) == pid) {
        finished = true;
        break;
      }
    }
    check_files_intact(killed);
  }
  MESSAGE("killed during a file write " << caught << " time(s)");
  CHECK(caught >= 1);
  if (!finished) {
    waitpid(start_training(killed, epochs), &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  auto a = test_support::resumable_model(), b = test_support::resumable_model();
  a.load_weights((reference / "final.weights.h5").string());
  b.load_weights((killed / "final.weights.h5").string());
  check_same_weights(a.get_weights(), b.get_weights());
  CHECK_FALSE(fs::exists(backup));
  fs::remove_all(reference);
  fs::remove_all(killed);
}
