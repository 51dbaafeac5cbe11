#pragma once
// A backend that behaves like a GPU, for tests: the reference kernels run on one worker thread
// in queue order, and the pointers it hands out are tagged (bits 56-62 set) so that any host
// dereference of its memory outside a kernel faults at once, and any host pointer passed to one
// of its kernels is refused. A missing synchronization gives stale values, a sanitizer report or a
// crash instead of a silently right answer. Registered as "emulated_device" (indices 0 to 3).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "keras/core/backend.hpp"

namespace keras::testing {

// Adds "emulated_device" to the backend registry; call once, before the first backend::get().
void register_emulated_device_backend();

// The tag (bits 56-62) of device `index`'s pointers, for the guard test.
std::uintptr_t emulated_device_tag(int index);

// For the test that its kernels really run later: while held, the worker starts no queued work
// (a synchronization would wait until released).
void hold_emulated_device(Backend& device, bool held);
std::size_t emulated_device_queue_length(Backend& device);

// How many captures began on the device, how many recordings were replayed, and how many
// times work was put on its queue (a kernel, a copy, a whole replay: each is one launch or
// call on a GPU; frees, which a GPU's caching allocator does on the host, are not counted).
struct EmulatedCaptureCounts {
  std::uint64_t captures = 0;
  std::uint64_t replays = 0;
  std::uint64_t enqueued = 0;
};
EmulatedCaptureCounts emulated_device_capture_counts(Backend& device);

}  // namespace keras::testing
