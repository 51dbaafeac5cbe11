#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/temp_path.hpp"
#include "support/gradient_check.hpp"

using namespace keras;
using namespace keras::layers;
using json = nlohmann::json;

namespace {
const json& fixture() { return test_support::keras_fixture("keras_callbacks.json"); }

Sequential tiny_model(double learning_rate) {
  Sequential model({Input({2}), Dense(1)});
  model.compile({.optimizer = optimizers::SGD({.learning_rate = learning_rate}), .loss = "mse"});
  return model;
}

// Regression data a Dense layer can fit.
std::pair<Tensor, Tensor> line_data(std::int64_t n) {
  const Tensor x = test_support::uniform({n, 2}, 11);
  return {x, ops::matmul(x, Tensor::from_vector<float>({2.0f, -1.0f}, {2, 1})) + 0.5f};
}
}  // namespace

TEST_CASE("EarlyStopping stops when Keras stops, on scripted sequences") {
  for (const json& c : fixture().at("early_stopping")) {
    CAPTURE(c.at("name").get<std::string>());
    const json& k = c.at("kwargs");
    callbacks::EarlyStoppingOptions o;
    o.monitor = k.value("monitor", std::string("val_loss"));
    o.mode = k.value("mode", std::string("auto"));
    o.patience = k.value("patience", 0);
    o.min_delta = k.value("min_delta", 0.0);
    if (k.contains("baseline")) o.baseline = k.at("baseline").get<double>();
    o.start_from_epoch = k.value("start_from_epoch", 0);
    auto cb = callbacks::EarlyStopping(o);
    Sequential model = tiny_model(0.1);
    cb->set_model(&model);
    callbacks::Logs logs;
    cb->on_train_begin(logs);
    std::optional<int> stopped;
    const auto values = c.at("values").get<std::vector<double>>();
    for (std::size_t epoch = 0; epoch < values.size() && !stopped; ++epoch) {
      callbacks::Logs epoch_logs{{o.monitor, values[epoch]}};
      cb->on_epoch_end(static_cast<int>(epoch), epoch_logs);
      if (model.stop_training()) stopped = static_cast<int>(epoch);
    }
    REQUIRE(!c.at("stopped_epoch").is_null());
    CHECK(stopped == c.at("stopped_epoch").get<int>());
    CHECK(cb->best_epoch == c.at("best_epoch").get<int>());
  }
}

TEST_CASE("ReduceLROnPlateau changes the rate when and only when Keras does") {
  for (const json& c : fixture().at("reduce_lr_on_plateau")) {
    CAPTURE(c.at("name").get<std::string>());
    const json& k = c.at("kwargs");
    callbacks::ReduceLROnPlateauOptions o;
    o.monitor = k.value("monitor", std::string("val_loss"));
    o.mode = k.value("mode", std::string("auto"));
    o.factor = k.value("factor", 0.1);
    o.patience = k.value("patience", 10);
    o.min_delta = k.value("min_delta", 1e-4);
    o.cooldown = k.value("cooldown", 0);
    o.min_lr = k.value("min_lr", 0.0);
    auto cb = callbacks::ReduceLROnPlateau(o);
    Sequential model = tiny_model(1.0);
    cb->set_model(&model);
    callbacks::Logs logs;
    cb->on_train_begin(logs);
    const auto values = c.at("values").get<std::vector<double>>();
    const auto expected = c.at("learning_rates").get<std::vector<double>>();
    for (std::size_t epoch = 0; epoch < values.size(); ++epoch) {
      callbacks::Logs epoch_logs{{o.monitor, values[epoch]}};
      cb->on_epoch_end(static_cast<int>(epoch), epoch_logs);
      INFO("epoch " << epoch);
      CHECK(model.optimizer()->learning_rate() == doctest::Approx(expected[epoch]).epsilon(1e-6));
    }
  }
}

TEST_CASE("EarlyStopping with restore_best_weights restores the best epoch's weights") {
  utils::set_random_seed(3);
  auto [x, y] = line_data(64);
  Sequential model = tiny_model(0.05);
  // A scripted validation loss (best at epoch 2), and the weights seen at each epoch's end.
  const std::vector<double> scripted{0.9, 0.8, 0.5, 0.7, 0.6, 0.65, 0.9};
  std::vector<std::vector<Tensor>> weights_at_epoch;
  auto script = callbacks::LambdaCallback({.on_epoch_end = [&](int epoch, callbacks::Logs& logs) {
    logs["val_loss"] = scripted.at(static_cast<std::size_t>(epoch));
    weights_at_epoch.push_back(model.get_weights());
  }});
  auto early = callbacks::EarlyStopping({.monitor = "val_loss", .patience = 3, .restore_best_weights = true});
  const auto history = model.fit(x, y, {.epochs = 7, .verbose = 0, .callbacks = {script, early}});
  CHECK(early->stopped_epoch == 5);
  CHECK(early->best_epoch == 2);
  CHECK(history.epoch.size() == 6);
  const auto final_weights = model.get_weights();
  for (std::size_t i = 0; i < final_weights.size(); ++i) {
    CHECK(test_support::max_abs_diff(final_weights[i], weights_at_epoch[2][i]) == 0.0);
    CHECK(test_support::max_abs_diff(final_weights[i], weights_at_epoch[5][i]) > 0.0);
  }
}

TEST_CASE("TerminateOnNaN stops on the first NaN loss") {
  auto [x, y] = line_data(32);
  x.set<float>({3, 0}, std::numeric_limits<float>::quiet_NaN());
  Sequential model = tiny_model(0.01);
  int batches = 0;
  auto count = callbacks::LambdaCallback({.on_train_batch_end = [&](int, callbacks::Logs&) { ++batches; }});
  const auto history = model.fit(x, y, {.batch_size = 8, .epochs = 3, .verbose = 0,
                                        .callbacks = {count, callbacks::TerminateOnNaN()}, .shuffle = false});
  CHECK(batches == 1);
  CHECK(history.epoch.size() == 1);
  CHECK(std::isnan(history.history.at("loss").front()));
}

TEST_CASE("LearningRateScheduler, CSVLogger (append) and LambdaCallback hooks") {
  auto [x, y] = line_data(32);
  Sequential model = tiny_model(0.1);
  const std::string csv = test_support::temp_path("callbacks_test_log.csv").string();
  std::vector<std::string> events;
  auto lambda = callbacks::LambdaCallback({
      .on_epoch_begin = [&](int e, callbacks::Logs&) { events.push_back("epoch_begin " + std::to_string(e)); },
      .on_epoch_end = [&](int e, callbacks::Logs&) { events.push_back("epoch_end " + std::to_string(e)); },
      .on_train_begin = [&](callbacks::Logs&) { events.push_back("train_begin"); },
      .on_train_end = [&](callbacks::Logs&) { events.push_back("train_end"); },
  });
  auto schedule = callbacks::LearningRateScheduler([](int epoch, double lr) { return epoch == 0 ? lr : lr / 2; });
  auto history = model.fit(x, y, {.epochs = 3, .verbose = 0, .callbacks = {schedule, lambda, callbacks::CSVLogger(csv)}});
  CHECK(events == std::vector<std::string>{"train_begin", "epoch_begin 0", "epoch_end 0", "epoch_begin 1",
                                           "epoch_end 1", "epoch_begin 2", "epoch_end 2", "train_end"});
  CHECK(history.history.at("learning_rate") == std::vector<double>{0.1, 0.05, 0.025});
  model.fit(x, y, {.epochs = 1, .verbose = 0, .callbacks = {callbacks::CSVLogger(csv, {.append = true})}});
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  CHECK(header == "epoch,learning_rate,loss");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  CHECK(rows == 4);  // 3 epochs, then one more appended without a second header
}
