// Which backends exist, which are usable here, and which one is active.
#include <cstdlib>
#include <map>
#include <mutex>

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"
#include "keras/internal/backend_factories.hpp"

namespace keras {

std::string to_string(Device device) { return device == Device::cpu ? "cpu" : "cuda"; }

namespace backend {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<Backend>> instances;
  std::string active;
};

Registry& registry() {
  static Registry r;
  return r;
}

// Every backend name the project knows, best first, with why it may be missing.
const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names{"cuda", "cpu", "reference"};
  return names;
}

std::string list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

// Creates the backend or explains, in a BackendError, why it cannot exist here.
std::unique_ptr<Backend> create(const std::string& name) {
  if (name == "reference") return internal::make_reference_backend();
  if (name == "cpu") {
#ifdef KERASCPP_WITH_CPU_BACKEND
    return internal::make_cpu_backend();
#else
    throw BackendError(
        "backend 'cpu' (oneDNN + Eigen) is not available: this build of kerascpp was configured "
        "without it (install libdnnl-dev and libeigen3-dev, then configure with "
        "-DKERASCPP_WITH_CPU=ON). Available: " + list(available()));
#endif
  }
  if (name == "cuda") {
    const std::string devices = internal::cuda_device_report();
    throw BackendError("backend 'cuda' (cuDNN + cuBLAS) is not available: its kernels are not "
                       "implemented in this version of kerascpp (" + devices +
                       "). Available: " + list(available()));
  }
  throw BackendError("unknown backend '" + name + "': expected one of " + list(known_names()));
}

Backend& instance_locked(Registry& r, const std::string& name) {
  auto it = r.instances.find(name);
  if (it == r.instances.end()) it = r.instances.emplace(name, create(name)).first;
  return *it->second;
}

std::string default_name() {
  if (const char* env = std::getenv("KERAS_BACKEND"); env && *env) return env;
  return available().front();
}

}  // namespace

std::vector<std::string> available() {
  // Best first. The cuda backend's kernels are not written yet; create() says so.
#ifdef KERASCPP_WITH_CPU_BACKEND
  return {"cpu", "reference"};
#else
  return {"reference"};
#endif
}

void set(const std::string& name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  instance_locked(r, name);  // fails here, with the reason, if it cannot be used
  r.active = name;
}

Backend& get(const std::string& name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return instance_locked(r, name);
}

Backend& get() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.active.empty()) {
    const std::string name = default_name();
    try {
      instance_locked(r, name);
    } catch (const BackendError& e) {
      throw BackendError(std::string(e.what()) + " [selected by $KERAS_BACKEND]");
    }
    r.active = name;
  }
  return instance_locked(r, r.active);
}

std::string active_name() {
  get();
  return registry().active;
}

}  // namespace backend
}  // namespace keras
