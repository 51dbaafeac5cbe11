// BackupAndRestore: one HDF5 file per backup, in Keras 3's weights layout (layers/..., and
// optimizer/vars as in a .keras archive) plus a root attribute "training_state" (JSON: the
// finished epoch and the random streams). One file, renamed into place, so a crash at any moment
// leaves either the previous backup or the new one, never a mix.
#include "keras/callbacks/backup_and_restore.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../models/model_state.hpp"
#include "../saving/hdf5_support.hpp"
#include "../saving/keras3_weights_h5.hpp"
#include "../saving/layer_config.hpp"
#include "../saving/optimizer_state.hpp"
#include "keras/models/model.hpp"

namespace keras::callbacks {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json stream(random::StreamState s) { return json::array({s.seed, s.counter}); }

random::StreamState stream_from(const json& v, const std::string& where) {
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_unsigned() || !v[1].is_number_unsigned()) {
    throw IOError(where + ": malformed random stream state " + v.dump());
  }
  return {v[0].get<std::uint64_t>(), v[1].get<std::uint64_t>()};
}

}  // namespace

BackupAndRestoreCallback::BackupAndRestoreCallback(std::string backup_dir, BackupAndRestoreOptions options)
    : dir_(std::move(backup_dir)), o_(std::move(options)) {
  if (dir_.empty()) throw ValueError("BackupAndRestore: backup_dir must not be empty");
  if (o_.save_freq != "epoch") {
    throw ValueError("BackupAndRestore: only save_freq \"epoch\" is supported (got \"" + o_.save_freq +
                     "\"); a run resumes after its last finished epoch");
  }
}

std::string BackupAndRestoreCallback::backup_path() const { return (fs::path(dir_) / "latest.weights.h5").string(); }

namespace {
// Under a distribution strategy every worker restores from the backup, and only the chief writes
// or deletes it (Keras' multi-worker rule; on several machines backup_dir must be shared).
bool writes_backup(const Model& model) {
  const distribute::Strategy* strategy = internal::state_of(model).training.strategy;
  return strategy == nullptr || strategy->num_replicas_in_sync() == 1 || strategy->is_chief();
}
}  // namespace

void BackupAndRestoreCallback::on_train_begin(Logs&) {
  // Temporary files of a run killed while writing are garbage: the rename never happened.
  std::error_code ignored;
  if (writes_backup(model()) && fs::is_directory(dir_, ignored)) {
    for (const auto& entry : fs::directory_iterator(dir_, ignored)) {
      if (entry.path().filename().string().rfind(".latest.weights.h5.tmp", 0) == 0) fs::remove(entry.path(), ignored);
    }
  }
  const std::string path = backup_path();
  if (!fs::exists(path)) return;
  const std::string where = "BackupAndRestore: '" + path + "'";
  internal::ModelState& st = internal::state_of(model());
  internal::Handle file(internal::open_hdf5_for_reading(path, "BackupAndRestore"), H5Fclose);
  const auto text = internal::read_string_list(file.get(), "training_state", where);
  if (text.size() != 1) throw IOError(where + " has no training_state: not a kerascpp backup");
  const json state = internal::parse_json(text.front(), where + " training_state");
  if (!state.contains("epoch") || !state["epoch"].is_number_integer()) throw IOError(where + ": training_state has no epoch");
  const auto updates = internal::read_keras3_weights(file.get(), st, false, path);
  std::vector<internal::OptimizerVariable> optimizer_state;
  if (H5Lexists(file.get(), "optimizer", H5P_DEFAULT) > 0) optimizer_state = internal::read_keras3_optimizer(file.get(), where);
  // Everything is read; now assign.
  for (const auto& [variable, value] : updates) variable->assign(value);
  if (!optimizer_state.empty()) {
    internal::restore_optimizer_variables(*model().optimizer(), model().trainable_weights(), optimizer_state, where);
  }
  random::set_global_state(stream_from(state.at("global_random"), where));
  // Keyed by the layer's position: names differ between runs that build several models.
  const json& layer_streams = state.at("layer_random");
  const auto ls = model().layers();
  for (std::size_t k = 0; k < ls.size(); ++k) {
    auto generators = ls[k]->seed_generators();
    if (generators.empty()) continue;
    const std::string key = std::to_string(k);
    if (!layer_streams.contains(key) || layer_streams[key].size() != generators.size()) {
      throw IOError(where + " has no random stream state for layer " + key + " '" + ls[k]->name() + "' (another model?)");
    }
    for (std::size_t i = 0; i < generators.size(); ++i) generators[i]->set_state(stream_from(layer_streams[key][i], where));
  }
  st.training.resume_epoch = state["epoch"].get<int>() + 1;
}

void BackupAndRestoreCallback::on_epoch_end(int epoch, Logs&) {
  if (!writes_backup(model())) return;
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) throw IOError("BackupAndRestore: cannot create the folder '" + dir_ + "': " + error.message());
  const internal::ModelState& st = internal::state_of(model());
  json layer_streams = json::object();
  const auto ls = model().layers();
  for (std::size_t k = 0; k < ls.size(); ++k) {
    json streams = json::array();
    for (auto* g : ls[k]->seed_generators()) streams.push_back(stream(g->state()));
    if (!streams.empty()) layer_streams[std::to_string(k)] = streams;
  }
  const json state = {{"epoch", epoch}, {"global_random", stream(random::global_state())}, {"layer_random", layer_streams}};
  const std::string path = backup_path();
  internal::write_hdf5_atomically(path, "BackupAndRestore", [&](hid_t file) {
    internal::write_keras3_weights(file, st, path);
    if (st.training.optimizer && st.training.optimizer->built()) {
      internal::write_keras3_optimizer(file, *st.training.optimizer, path);
    }
    internal::write_utf8_attribute(file, "training_state", state.dump(), path);
  });
}

void BackupAndRestoreCallback::on_train_end(Logs&) {
  // A fit stopped by an exception never gets here, so its backup stays for the next run.
  if (!o_.delete_checkpoint || !writes_backup(model())) return;
  std::error_code ignored;
  fs::remove(backup_path(), ignored);
}

std::shared_ptr<BackupAndRestoreCallback> BackupAndRestore(std::string backup_dir, BackupAndRestoreOptions options) {
  return std::make_shared<BackupAndRestoreCallback>(std::move(backup_dir), std::move(options));
}

}  // namespace keras::callbacks
