#include "keras/utils/progbar.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace keras::utils {

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }

Progbar::Progbar(std::int64_t target, Options options, std::ostream& out)
    : target_(target), o_(std::move(options)), out_(out), start_(std::chrono::steady_clock::now()) {}

double Progbar::seconds_since_start() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progbar::format_values(const std::vector<std::pair<std::string, double>>& values) const {
  std::string s;
  char buf[64];
  for (const auto& [name, value] : values) {
    // Keras: 4 decimals, scientific notation below 1e-3.
    std::snprintf(buf, sizeof buf, std::fabs(value) > 1e-3 ? " %.4f" : " %.4e", value);
    s += " - " + name + ":" + buf;
  }
  return s;
}

std::string Progbar::format_time_per_unit(double t) const {
  char buf[64];
  if (t >= 1.0 || t == 0.0) std::snprintf(buf, sizeof buf, " %.0fs/%s", t, o_.unit_name.c_str());
  else if (t >= 1e-3) std::snprintf(buf, sizeof buf, " %.0fms/%s", t * 1e3, o_.unit_name.c_str());
  else std::snprintf(buf, sizeof buf, " %.0fus/%s", t * 1e6, o_.unit_name.c_str());
  return buf;
}

bool Progbar::due_at(double now, bool finalize) const {
  if (finalize) return true;
  if (o_.verbose == 2 || !o_.dynamic) return false;
  return now - last_update_ >= o_.interval;
}

bool Progbar::due(std::int64_t current, std::optional<bool> finalize) const {
  return due_at(seconds_since_start(), finalize.value_or(target_ > 0 && current >= target_));
}

void Progbar::advance(std::int64_t current) {
  if (current == 1) time_after_first_step_ = seconds_since_start();
}

void Progbar::update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values,
                     std::optional<bool> finalize_option) {
  const bool finalize = finalize_option.value_or(target_ > 0 && current >= target_);
  const double now = seconds_since_start();
  // Time per step leaves out the first step (graph building, allocation), as Keras does.
  double per_unit = 0.0;
  if (current > 0) {
    per_unit = time_after_first_step_ >= 0.0 && current > 1 ? (now - time_after_first_step_) / double(current - 1)
                                                           : now / double(current);
    if (current == 1) time_after_first_step_ = now;
  }
  if (!due_at(now, finalize)) return;
  last_update_ = now;
  const int digits = target_ > 0 ? static_cast<int>(std::log10(double(target_))) + 1 : 1;
  char count[64];
  std::snprintf(count, sizeof count, "%*lld/%lld", digits, static_cast<long long>(current),
                static_cast<long long>(target_));
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.0fs", now);

  if (o_.verbose == 2) {
    out_ << count << " - " << elapsed << " -" << format_time_per_unit(per_unit) << format_values(values) << "\n";
    out_.flush();
    return;
  }
  const int done = target_ > 0 ? static_cast<int>(o_.width * double(current) / double(target_)) : 0;
  std::string done_part, rest_part;
  for (int i = 0; i < o_.width; ++i) (i < done ? done_part : rest_part) += "━";
  // Elapsed time when finished, else the estimated time left.
  std::string time_part = elapsed;
  if (!finalize && target_ > 0) {
    const double eta = per_unit * double(target_ - current);
    char buf[32];
    if (eta > 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", int(eta) / 3600, (int(eta) % 3600) / 60, int(eta) % 60);
    else if (eta > 60) std::snprintf(buf, sizeof buf, "%d:%02d", int(eta) / 60, int(eta) % 60);
    else std::snprintf(buf, sizeof buf, "%ds", int(eta));
    time_part = buf;
  }
  const std::string tail = format_time_per_unit(per_unit) + format_values(values);
  if (!o_.dynamic) {
    out_ << count << " " << done_part << rest_part << " " << time_part << tail << "\n";
  } else {
    // Keras' colours: bold count and time, green for done, grey for the rest; spaces wipe
    // what a longer previous line left.
    const std::size_t width = std::string(count).size() + 2 + static_cast<std::size_t>(o_.width) +
                              time_part.size() + tail.size();
    out_ << "\r\x1b[1m" << count << "\x1b[0m \x1b[32m" << done_part << "\x1b[0m\x1b[37m" << rest_part
         << "\x1b[0m \x1b[1m" << time_part << "\x1b[0m" << tail;
    if (previous_width_ > width) out_ << std::string(previous_width_ - width, ' ');
    previous_width_ = width;
    if (finalize) out_ << "\n";
  }
  out_.flush();
}

}  // namespace keras::utils
