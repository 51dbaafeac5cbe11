#pragma once
// Which device blocks a recorded capture (a CUDA graph) still needs. A replay writes and reads
// the very addresses the capture saw, so none of them may go back to the allocator while the
// recording lives:
//  - every block allocated while recording belongs to the recording; a tensor that outlives
//    the capture (the step's outputs) keeps using it, and when that tensor lets go of it the
//    block stays reserved until the recording is destroyed;
//  - every block freed while recording (a temporary of the step, or an older block the step
//    read last) is kept too, instead of being handed out again outside the recording; the
//    recording's own temporaries are handed out again inside it (reuse), so a recorded step
//    needs about what the step op by op needs at its peak.
// Host logic only, shared by the cuda backend and the emulated test device; the caller holds
// its allocator's lock around every call.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace keras::internal {

class CapturedMemory {
 public:
  // Recording `capture` starts: what is allocated or freed from now on is reserved for it.
  void begin(std::uint64_t capture) { recording_ = capture; }
  void end() {
    recording_.reset();
    reusable_.clear();  // its free blocks stay reserved, for its replays
  }

  // `by_recorder`: the call comes from the thread that records (other threads' work is not
  // recorded, so their blocks are ordinary ones).
  void allocated(void* block, std::size_t bytes, bool by_recorder) {
    if (!recording_ || !by_recorder) return;
    Reserved& r = blocks_[block];
    r.captures.push_back(*recording_);
    r.bytes = bytes;
  }
  // While recording: a block of exactly `bytes` that this recording allocated and freed again,
  // handed out once more, or null. Safe because a recording replays in the order it was
  // recorded (one stream), so the new use comes after every use of the old one.
  void* reuse(std::size_t bytes, bool by_recorder) {
    if (!recording_ || !by_recorder) return nullptr;
    const auto it = reusable_.find(bytes);
    if (it == reusable_.end() || it->second.empty()) return nullptr;
    void* block = it->second.back();
    it->second.pop_back();
    blocks_[block].released = false;
    return block;
  }
  // Whether `block` must stay reserved instead of being freed now (the caller then keeps it).
  bool keep(void* block, bool by_recorder) {
    if (recording_ && by_recorder) {
      Reserved& r = blocks_[block];
      const bool own = !r.captures.empty() && r.captures.back() == *recording_ && r.bytes > 0;
      if (!own) r.captures.push_back(*recording_);  // an older block the step read last
      r.released = true;
      if (own) reusable_[r.bytes].push_back(block);
      return true;
    }
    const auto it = blocks_.find(block);
    if (it == blocks_.end()) return false;
    it->second.released = true;
    return true;
  }
  // The recording `capture` is gone: returns the blocks that no recording needs and nobody
  // holds any more, for the caller to free now; blocks still held become ordinary ones.
  std::vector<void*> release(std::uint64_t capture) {
    std::vector<void*> free_now;
    for (auto it = blocks_.begin(); it != blocks_.end();) {
      auto& captures = it->second.captures;
      std::erase(captures, capture);
      if (!captures.empty()) {
        ++it;
        continue;
      }
      if (it->second.released) free_now.push_back(it->first);
      it = blocks_.erase(it);
    }
    return free_now;
  }
  std::size_t reserved_blocks() const { return blocks_.size(); }

 private:
  struct Reserved {
    std::vector<std::uint64_t> captures;  // the recordings that need it (usually one)
    std::size_t bytes = 0;                // as asked, when the last of them allocated it
    bool released = false;                // no tensor holds it any more
  };
  std::optional<std::uint64_t> recording_;
  std::unordered_map<void*, Reserved> blocks_;
  std::unordered_map<std::size_t, std::vector<void*>> reusable_;  // freed while recording, by size
};

}  // namespace keras::internal
