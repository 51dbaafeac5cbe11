#pragma once
// A path in the system's temporary folder unique to this test process (ctest runs test cases
// in parallel processes), so tests never write into the source or build tree.
#include <unistd.h>

#include <filesystem>
#include <string>

namespace test_support {

inline std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("kerascpp_" + std::to_string(::getpid()) + "_" + name);
}

}  // namespace test_support
