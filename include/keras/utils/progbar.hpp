#pragma once
// keras.utils.Progbar: Keras 3's progress bar. On a terminal it redraws one line in place
// ("625/625 ━━━━━━━━━━━━━━━━━━━━ 12s 19ms/step - accuracy: 0.4213 - loss: 2.1032"); elsewhere
// it prints the finished line only, so logs get one line per epoch.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keras::utils {

class Progbar {
 public:
  struct Options {
    int width = 20;
    int verbose = 1;         // 1: bar, 2: one summary line when finished
    double interval = 0.05;  // seconds between redraws
    std::string unit_name = "step";
    bool dynamic = false;    // redraw in place (a terminal)
  };
  Progbar(std::int64_t target, Options options, std::ostream& out = std::cout);

  // Shows progress at `current` of target with the values given (displayed as they are).
  // `finalize` unset: finished when current reaches the target (Keras' finalize=None).
  void update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values,
              std::optional<bool> finalize = std::nullopt);
  // Whether update(current, ..., finalize) would draw now: on a terminal at most every
  // `interval` seconds, else (and with verbose 2) only when finished. Lets a caller fetch the
  // values only for a draw.
  bool due(std::int64_t current, std::optional<bool> finalize = std::nullopt) const;
  // update() for a step whose values were not fetched: its timing, no drawing.
  void advance(std::int64_t current);

 private:
  bool due_at(double now, bool finalize) const;
  std::string format_values(const std::vector<std::pair<std::string, double>>& values) const;
  std::string format_time_per_unit(double seconds) const;
  double seconds_since_start() const;

  std::int64_t target_;
  Options o_;
  std::ostream& out_;
  std::chrono::steady_clock::time_point start_;
  double last_update_ = -1.0;
  double time_after_first_step_ = -1.0;
  std::size_t previous_width_ = 0;
};

// Whether standard output is a terminal (fit's verbose="auto" picks 1 there, 2 elsewhere).
bool stdout_is_terminal();

}  // namespace keras::utils
