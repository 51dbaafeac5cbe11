#include "cli.hpp"

#include <cstdlib>

#include "keras/core/backend.hpp"
#include "keras/core/tensor_float_32.hpp"
#include "keras/mixed_precision/policy.hpp"

namespace apps {

namespace {
[[noreturn]] void usage(const char* program, const std::string& description,
                        const std::map<std::string, FlagSpec>& known, int code) {
  std::ostream& os = code == 0 ? std::cout : std::cerr;
  os << description << "\n\nusage: " << program << " [options]\n"
     << "  --backend NAME     reference | cpu | cuda (default: $KERAS_BACKEND, else the best built)\n"
     << "  --batch-size N     samples per batch\n"
     << "  --threads N        host threads (default: the cores this process may use)\n"
     << "  --precision NAME   dtype policy: float32 | mixed_bfloat16 | mixed_float16 (default float32)\n"
     << "  --tf32 on|off      TensorFloat-32 for float32 products on cuda (default on, as TensorFlow)\n";
  for (const auto& [flag, spec] : known) os << "  --" << flag << "  " << spec.help << "\n";
  std::exit(code);
}
}  // namespace

std::int64_t parse_positive(const std::string& flag, const std::string& value, bool allow_zero) {
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || n < (allow_zero ? 0 : 1)) {
    std::cerr << "error: " << flag << " needs a " << (allow_zero ? "non-negative" : "positive") << " integer, got '"
              << value << "'\n";
    std::exit(2);
  }
  return n;
}

CommonArgs parse_args(int argc, char** argv, const std::string& description,
                      const std::map<std::string, FlagSpec>& known) {
  CommonArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") usage(argv[0], description, known, 0);
    if (flag.rfind("--", 0) != 0) {
      std::cerr << "error: expected an option, got '" << flag << "'\n";
      usage(argv[0], description, known, 2);
    }
    const std::string name = flag.substr(2);
    const auto spec = known.find(name);
    if (spec != known.end() && spec->second.kind == FlagKind::switch_flag) {
      args.switches.insert(name);
      continue;
    }
    if (spec != known.end() && spec->second.kind == FlagKind::list) {
      auto& values = args.lists[name];
      while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) values.emplace_back(argv[++i]);
      if (values.empty()) {
        std::cerr << "error: " << flag << " needs at least one value\n";
        std::exit(2);
      }
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "error: " << flag << " needs a value\n";
      usage(argv[0], description, known, 2);
    }
    const std::string value = argv[++i];
    if (name == "backend") {
      args.backend = value;
    } else if (name == "batch-size") {
      args.batch_size = parse_positive(flag, value);
    } else if (name == "threads") {
      args.threads = static_cast<int>(parse_positive(flag, value));
    } else if (name == "precision") {
      args.precision = value;
    } else if (name == "tf32") {
      if (value != "on" && value != "off") {
        std::cerr << "error: --tf32 must be on or off, got '" << value << "'\n";
        std::exit(2);
      }
      args.tf32 = value;
    } else if (spec != known.end()) {
      args.extra[name] = value;
    } else {
      std::cerr << "error: unknown option " << flag << "\n";
      usage(argv[0], description, known, 2);
    }
  }
  return args;
}

void select_backend(const CommonArgs& args) {
  if (!args.backend.empty()) keras::backend::set(args.backend);
  if (args.threads > 0) keras::backend::set_num_threads(args.threads);
  if (!args.precision.empty()) keras::mixed_precision::set_global_policy(args.precision);
  if (!args.tf32.empty()) keras::config::enable_tensor_float_32_execution(args.tf32 == "on");
  std::cout << "backend: " << keras::backend::active_name() << ", "
            << keras::backend::num_threads() << " threads, dtype policy "
            << keras::mixed_precision::global_policy().name();
  if (keras::backend::get().device().kind == keras::DeviceKind::cuda) {
    std::cout << ", TF32 " << (keras::config::tensor_float_32_execution_enabled() ? "on" : "off");
  }
  std::cout << "\n";
}

}  // namespace apps
