// Which backends exist, which are usable here, and which one is active.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>

#include "keras/core/backend.hpp"
#include "keras/core/errors.hpp"
#include "keras/internal/backend_factories.hpp"
#include "keras/internal/default_backend_scope.hpp"
#include "keras/internal/deferred_checks.hpp"

namespace keras {

std::string to_string(Device device) {
  switch (device.kind) {
    case DeviceKind::cpu: return "cpu";
    case DeviceKind::cuda: return "cuda:" + std::to_string(device.index);
    case DeviceKind::emulated: return "emulated:" + std::to_string(device.index);
  }
  return "unknown";
}

void Backend::copy_to_backend(Backend& dst_backend, void* dst, const void* src, std::size_t bytes) {
  if (host_addressable() && dst_backend.host_addressable()) {  // two host backends: one memcpy
    synchronize();
    dst_backend.synchronize();
    if (bytes) std::memcpy(dst, src, bytes);
    return;
  }
  std::vector<char> staging(bytes);
  copy_to_host(staging.data(), src, bytes);
  dst_backend.copy_from_host(dst, staging.data(), bytes);
}

void Backend::adam_update_group(const AdamTensors* tensors, std::size_t count, float alpha, float one_minus_beta_1,
                                float one_minus_beta_2, float epsilon) {
  for (std::size_t i = 0; i < count; ++i) {
    const AdamTensors& t = tensors[i];
    adam_update(t.var, t.m, t.v, t.v_max, t.g, t.n, alpha, one_minus_beta_1, one_minus_beta_2, epsilon);
  }
}

void Backend::sgd_update_group(const SgdTensors* tensors, std::size_t count, float lr, float momentum, bool nesterov) {
  for (std::size_t i = 0; i < count; ++i) sgd_update(tensors[i].var, tensors[i].m, tensors[i].g, tensors[i].n, lr, momentum, nesterov);
}

namespace {
// A gated update's gate, read on the host: whether the update takes effect.
bool gate_open(Backend& backend, const float* gate) {
  if (!gate) return true;
  float value = 0.0f;
  backend.copy_to_host(&value, gate, sizeof value);
  return value != 0.0f;
}
}  // namespace

void Backend::adam_update_group_at(const AdamTensors* tensors, std::size_t count, const float* alpha,
                                   const float* gate, float one_minus_beta_1, float one_minus_beta_2, float epsilon) {
  if (!gate_open(*this, gate)) return;
  float value = 0.0f;
  copy_to_host(&value, alpha, sizeof value);
  adam_update_group(tensors, count, value, one_minus_beta_1, one_minus_beta_2, epsilon);
}
void Backend::sgd_update_group_at(const SgdTensors* tensors, std::size_t count, const float* lr, const float* gate,
                                  float momentum, bool nesterov) {
  if (!gate_open(*this, gate)) return;
  float value = 0.0f;
  copy_to_host(&value, lr, sizeof value);
  sgd_update_group(tensors, count, value, momentum, nesterov);
}

void Backend::rmsprop_update_at(float* var, float* velocity, float* momentum_slot, float* average, const float* g,
                                std::size_t n, const float* lr, const float* gate, float rho, float momentum,
                                float epsilon) {
  if (!gate_open(*this, gate)) return;
  float value = 0.0f;
  copy_to_host(&value, lr, sizeof value);
  rmsprop_update(var, velocity, momentum_slot, average, g, n, value, rho, momentum, epsilon);
}
void Backend::adagrad_update_at(float* var, float* accumulator, const float* g, std::size_t n, const float* lr,
                                const float* gate, float epsilon) {
  if (!gate_open(*this, gate)) return;
  float value = 0.0f;
  copy_to_host(&value, lr, sizeof value);
  adagrad_update(var, accumulator, g, n, value, epsilon);
}
void Backend::nadam_update_at(float* var, float* m, float* v, const float* g, std::size_t n, float one_minus_beta_1,
                              float one_minus_beta_2, const float* scalars, const float* gate, float epsilon) {
  if (!gate_open(*this, gate)) return;
  float values[4] = {};
  copy_to_host(values, scalars, sizeof values);
  nadam_update(var, m, v, g, n, one_minus_beta_1, one_minus_beta_2, values[0], values[1], values[2], values[3], epsilon);
}

void Backend::random_uniform_at(float* y, std::size_t n, const std::uint64_t* seed, float low, float high) {
  std::uint64_t value = 0;
  copy_to_host(&value, seed, sizeof value);
  random_uniform(y, n, value, low, high);
}
void Backend::random_normal_at(float* y, std::size_t n, const std::uint64_t* seed, float mean, float stddev) {
  std::uint64_t value = 0;
  copy_to_host(&value, seed, sizeof value);
  random_normal(y, n, value, mean, stddev);
}
void Backend::dropout_mask_at(float* mask, std::size_t n, const std::uint64_t* seed, float rate) {
  std::uint64_t value = 0;
  copy_to_host(&value, seed, sizeof value);
  dropout_mask(mask, n, value, rate);
}

namespace {
[[noreturn]] void refuse_capture(const Backend& backend) {
  throw BackendError("backend '" + backend.name() + "' does not record work for replay (supports_capture() is false)");
}
}  // namespace

void Backend::begin_capture() { refuse_capture(*this); }
std::unique_ptr<CapturedWork> Backend::end_capture() { refuse_capture(*this); }
void Backend::replay(CapturedWork&) { refuse_capture(*this); }

MemoryStats Backend::memory_stats() const { return {live_bytes_.load(), peak_bytes_.load()}; }
void Backend::reset_peak_memory() { peak_bytes_.store(live_bytes_.load()); }
void Backend::note_tensor_allocated(std::size_t bytes) {
  const std::int64_t live = live_bytes_ += static_cast<std::int64_t>(bytes);
  std::int64_t peak = peak_bytes_.load();
  while (live > peak && !peak_bytes_.compare_exchange_weak(peak, live)) {
  }
}
void Backend::note_tensor_freed(std::size_t bytes) { live_bytes_ -= static_cast<std::int64_t>(bytes); }

namespace backend {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<Backend>> instances;  // by canonical name ("cuda:1")
  std::map<std::string, std::function<std::unique_ptr<Backend>(int)>> registered;
  std::vector<std::string> registered_order;
  std::string active;
};

// This thread's default inside an internal::DefaultBackendScope, else null (the active one).
thread_local Backend* t_scoped_default = nullptr;

Registry& registry() {
  static Registry r;
  return r;
}

// Every backend name the project knows, best first, with why it may be missing.
const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names{"cuda", "cpu", "reference"};
  return names;
}

// Best first: cuda when it is built and this machine has a device.
std::vector<std::string> available_locked(const Registry& r) {
  std::vector<std::string> names;
#ifdef KERASCPP_WITH_CUDA_BACKEND
  if (internal::cuda_device_count() > 0) names.push_back("cuda");
#endif
#ifdef KERASCPP_WITH_CPU_BACKEND
  names.push_back("cpu");
#endif
  names.push_back("reference");
  names.insert(names.end(), r.registered_order.begin(), r.registered_order.end());
  return names;
}

std::string list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

// "cuda:1" -> {"cuda", 1}; "cpu" -> {"cpu", 0}.
std::pair<std::string, int> split_device(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return {spec, 0};
  const std::string index = spec.substr(colon + 1);
  const bool digits = !index.empty() && index.size() < 6 &&
                      std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    throw BackendError("backend '" + spec + "': the device index after ':' must be a number, as in 'cuda:1'");
  }
  return {spec.substr(0, colon), std::stoi(index)};
}

std::string canonical(const std::string& name, int index) {
  return index == 0 ? name : name + ":" + std::to_string(index);
}

// Creates the backend or explains, in a BackendError, why it cannot exist here.
std::unique_ptr<Backend> create(Registry& r, const std::string& name, int index) {
  if (auto it = r.registered.find(name); it != r.registered.end()) return it->second(index);
  if ((name == "reference" || name == "cpu") && index != 0) {
    throw BackendError("backend '" + name + ":" + std::to_string(index) + "' does not exist: the " + name +
                       " backend has one device, the host ('" + name + "' or '" + name + ":0')");
  }
  if (name == "reference") return internal::make_reference_backend();
  if (name == "cpu") {
#ifdef KERASCPP_WITH_CPU_BACKEND
    return internal::make_cpu_backend();
#else
    throw BackendError(
        "backend 'cpu' (oneDNN + Eigen) is not available: this build of kerascpp was configured "
        "without it (install libdnnl-dev and libeigen3-dev, then configure with "
        "-DKERASCPP_WITH_CPU=ON). Available: " + list(available_locked(r)));
#endif
  }
  if (name == "cuda") {
#ifdef KERASCPP_WITH_CUDA_BACKEND
    try {
      return internal::make_cuda_backend(index);
    } catch (const BackendError& e) {
      throw BackendError(std::string(e.what()) + ". Available: " + list(available_locked(r)));
    }
#else
    throw BackendError("backend 'cuda' (cuDNN + cuBLAS) is not available: this build of kerascpp was configured "
                       "without it (" + internal::cuda_device_report() + "; configure with the CUDA toolkit and "
                       "cuDNN 9, -DCUDAToolkit_ROOT=/usr/local/cuda). Available: " + list(available_locked(r)));
#endif
  }
  std::vector<std::string> known = known_names();
  known.insert(known.end(), r.registered_order.begin(), r.registered_order.end());
  throw BackendError("unknown backend '" + name + "': expected one of " + list(known));
}

Backend& instance_locked(Registry& r, const std::string& spec) {
  const auto [name, index] = split_device(spec);
  const std::string key = canonical(name, index);
  auto it = r.instances.find(key);
  if (it == r.instances.end()) it = r.instances.emplace(key, create(r, name, index)).first;
  return *it->second;
}

// Python Keras' backends: a Keras user's shell often sets KERAS_BACKEND to one of them.
bool python_keras_backend(const std::string& name) {
  return name == "jax" || name == "tensorflow" || name == "torch" || name == "numpy" || name == "openvino";
}

std::string default_name(const Registry& r) {
  const std::string best = available_locked(r).front();
  const char* env = std::getenv("KERAS_BACKEND");
  if (!env || !*env) return best;
  if (python_keras_backend(env)) {
    // Meant for Python Keras, not for us: say so once and use our default (docs/decisions.md).
    static bool noted = false;
    if (!noted) {
      std::fprintf(stderr,
                   "kerascpp: $KERAS_BACKEND is '%s', a Python Keras backend; kerascpp uses its own ('%s' here; "
                   "set KERAS_BACKEND to one of %s to choose)\n",
                   env, best.c_str(), list(available_locked(r)).c_str());
      noted = true;
    }
    return best;
  }
  return env;
}

}  // namespace

std::vector<std::string> available() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return available_locked(r);
}

void set(const std::string& spec) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.active = instance_locked(r, spec).name();  // fails here, with the reason, if it cannot be used
}

Backend& get(const std::string& name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return instance_locked(r, name);
}

Backend& get() {
  if (t_scoped_default) return *t_scoped_default;
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (r.active.empty()) {
    const std::string name = default_name(r);
    try {
      instance_locked(r, name);
    } catch (const BackendError& e) {
      throw BackendError(std::string(e.what()) + " [selected by $KERAS_BACKEND]");
    }
    r.active = instance_locked(r, name).name();
  }
  return instance_locked(r, r.active);
}

Backend& host() {
#ifdef KERASCPP_WITH_CPU_BACKEND
  return get("cpu");
#else
  return get("reference");
#endif
}

void synchronize() {
  Backend& active = get();
  active.synchronize();
  internal::run_deferred_checks(active);
}

std::string active_name() {
  get();
  return registry().active;
}

}  // namespace backend

internal::DefaultBackendScope::DefaultBackendScope(Backend& backend) : previous_(backend::t_scoped_default) {
  backend::t_scoped_default = &backend;
}
internal::DefaultBackendScope::~DefaultBackendScope() { backend::t_scoped_default = previous_; }

void internal::register_backend(const std::string& name,
                                std::function<std::unique_ptr<Backend>(int index)> make) {
  auto& r = backend::registry();
  std::lock_guard lock(r.mutex);
  if (name.empty() || name.find(':') != std::string::npos || name == "cpu" || name == "reference" ||
      name == "cuda" || r.registered.count(name)) {
    throw BackendError("register_backend: '" + name + "' is empty, holds ':' or is taken");
  }
  r.registered.emplace(name, std::move(make));
  r.registered_order.push_back(name);
}

}  // namespace keras
