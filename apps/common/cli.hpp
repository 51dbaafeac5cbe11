#pragma once
// The command line every app shares: --backend NAME (else $KERAS_BACKEND, else the best
// built), --batch-size N, --threads N, --precision POLICY, --tf32 on|off, --help. Apps add their own flags:
// `--name value`, switches (`--summary`) and lists (`--predict A.png B.png`). Unknown flags are
// errors that list the known ones.
#include <cstdint>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace apps {

enum class FlagKind { value, switch_flag, list };

struct FlagSpec {
  FlagSpec(const char* help, FlagKind kind = FlagKind::value) : help(help), kind(kind) {}  // NOLINT
  std::string help;
  FlagKind kind;
};

struct CommonArgs {
  std::string backend;  // empty: keras' default choice
  std::int64_t batch_size = 0;
  int threads = 0;         // 0: keras' default
  std::string precision;   // empty: the default policy, float32
  std::string tf32;        // "on" | "off"; empty: keras' default (on)
  std::map<std::string, std::string> extra;               // --name value
  std::set<std::string> switches;                         // --name
  std::map<std::string, std::vector<std::string>> lists;  // --name A B C
};

// Parses the command line; `known` lists app-specific flags with their help text. Exits with a
// usage message on --help or on a flag it does not know.
CommonArgs parse_args(int argc, char** argv, const std::string& description,
                      const std::map<std::string, FlagSpec>& known = {});

// The value of a flag that must be a positive (or, allow_zero, non-negative) integer; exits
// with a message otherwise.
std::int64_t parse_positive(const std::string& flag, const std::string& value, bool allow_zero = false);

// Applies --backend, --threads, --precision and --tf32 (before any layer is made) and prints them,
// the way every app starts.
void select_backend(const CommonArgs& args);

}  // namespace apps
