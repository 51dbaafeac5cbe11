#pragma once
// Runs a shell command and returns its exit status and everything it printed (stdout and
// stderr), for the tests that check our files with python3-h5py.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <utility>

namespace test_support {

inline std::pair<int, std::string> run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace test_support
