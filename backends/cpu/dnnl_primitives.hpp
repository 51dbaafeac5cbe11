#pragma once
// What the CPU backend keeps of oneDNN: one engine and stream, and every primitive it has
// created, keyed by the shape it serves, with the buffers and reorders around it. Kernels run
// one at a time (the mutex), so the cached buffers are never shared by two calls.
#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "half_precision.hpp"
#include "cpu_backend.hpp"
#include "keras/core/errors.hpp"
#include "parallel.hpp"

namespace keras::cpu {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;
using DT = dnnl::memory::data_type;

// A buffer in the layout (and data type) a primitive wants, filled from or emptied into the
// caller's memory by reorders made once. When the layouts agree it is the caller's memory.
class Staged {
 public:
  Staged() = default;
  Staged(const dnnl::engine& engine, const memory::desc& user, const memory::desc& wanted)
      : engine_(engine), user_(user), wanted_(wanted), needed_(user != wanted) {
    if (needed_) buffer_ = memory(wanted, engine);
  }
  // The primitive's view of input data at `user_ptr` (reordered into the buffer if needed).
  memory in(dnnl::stream& s, const void* user_ptr) {
    memory user(user_, engine_, const_cast<void*>(user_ptr));
    if (!needed_) return user;
    if (!to_wanted_) to_wanted_ = dnnl::reorder(user, buffer_);
    to_wanted_.execute(s, user, buffer_);
    return buffer_;
  }
  // Where the primitive writes output destined for `user_ptr`; call out_done afterwards.
  memory out(void* user_ptr) {
    return needed_ ? buffer_ : memory(user_, engine_, user_ptr);
  }
  void out_done(dnnl::stream& s, void* user_ptr) {
    if (!needed_) return;
    memory user(user_, engine_, user_ptr);
    if (!to_user_) to_user_ = dnnl::reorder(buffer_, user);
    to_user_.execute(s, buffer_, user);
  }

 private:
  dnnl::engine engine_;
  memory::desc user_, wanted_;
  bool needed_ = false;
  memory buffer_;
  dnnl::reorder to_wanted_, to_user_;
};

// Cache entries of one kind, created on first use of a key. (shared_ptr: each kernel's file
// defines its entry type, and shared_ptr deletes through the deleter made there.)
template <class Entry>
class PrimitiveCache {
 public:
  // make: () -> std::shared_ptr<Entry>, called on a miss (a template, not a std::function,
  // whose capture would be allocated on every lookup).
  template <class Make>
  Entry& get(const std::string& key, Make&& make) {
    auto it = entries_.find(key);
    if (it == entries_.end()) it = entries_.emplace(key, make()).first;
    return *it->second;
  }

 private:
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
};

// Builds a cache key from numbers, enums and strings: their bytes, not their text. Formatting
// through a stream cost a tenth of a small training step (bench/model_step_bench --model
// overhead), and kept six digits of a float, so that two coefficients agreeing that far would
// have shared the primitive made for the first (16-bit gemm's alpha and beta, batch
// normalization's epsilon; no case seen, as 16-bit results hide such differences).
template <class Value>
void append_key(std::string& key, const Value& value) {
  if constexpr (std::is_convertible_v<const Value&, std::string_view>) {
    key.append(std::string_view(value));
    key.push_back('\0');
  } else {
    static_assert(std::is_arithmetic_v<Value> || std::is_enum_v<Value>, "cache keys hold numbers, enums and strings");
    key.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
}
template <class... Values>
std::string cache_key(const Values&... values) {
  std::string key;
  key.reserve((sizeof(Values) + ...) + 8);
  (append_key(key, values), ...);
  return key;
}

struct ConvolutionEntry;
struct ConvolutionBackwardEntry;
struct PoolingEntry;
struct BatchNormEntry;
struct SoftmaxEntry;
struct ResamplingEntry;
struct MatmulEntry;

struct CpuBackend::Primitives {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::mutex mutex;
  const Loops& loops = cpu::loops();
  Float32Scratch scratch;  // operands and results of emulated 16-bit kernels (half_precision.hpp)
  PrimitiveCache<ConvolutionEntry> convolutions;
  PrimitiveCache<ConvolutionBackwardEntry> convolution_backwards;
  PrimitiveCache<PoolingEntry> poolings;
  PrimitiveCache<BatchNormEntry> batch_norms;
  PrimitiveCache<SoftmaxEntry> softmaxes;
  PrimitiveCache<ResamplingEntry> resamplings;
  PrimitiveCache<MatmulEntry> matmuls;
};

// Runs `body` under the backend's lock with the configured thread count; a oneDNN error
// becomes a BackendError naming the kernel and its shape. `describe()` makes that name, only
// when there is an error: kernels are called thousands of times a second.
template <class Describe, class Body>
void run_dnnl(CpuBackend::Primitives& p, Describe&& describe, Body&& body) {
  std::lock_guard lock(p.mutex);
  apply_thread_setting();
  try {
    body();
    p.stream.wait();
  } catch (const dnnl::error& e) {
    throw BackendError("cpu backend: oneDNN failed in " + describe() + ": " + e.what() + " (status " +
                       std::to_string(static_cast<int>(e.status)) + ")");
  }
}

}  // namespace keras::cpu
