#pragma once
// The CUDA backend's device memory cache: best fit over freed blocks, blocks split and merged
// inside the segments they were cut from, small requests packed into shared 2 MiB segments,
// and on an allocation failure every unused segment is released and the allocation retried.
// Training asks for the same sizes every step, so after the first step no call reaches
// cudaMalloc. Host logic only: the raw allocator is a pair of functions, so the unit tests run
// it on host memory.
//
// Stream order: the backend has one stream and a block goes back to the cache when the tensor is
// dropped, possibly while kernels that use it are still queued. Whatever is handed out next is
// used by work enqueued later on that same stream, which runs after them, so no event is needed.
// A second stream would need one per block (recorded at free, waited on at reuse).
#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

namespace keras::cuda_backend {

class CachingAllocator {
 public:
  struct Raw {
    std::function<void*(std::size_t)> allocate;  // returns null when out of memory
    std::function<void(void*)> free;
  };
  struct Stats {
    std::size_t in_use = 0;    // bytes handed out (rounded sizes)
    std::size_t cached = 0;    // bytes in segments, free for reuse
    std::size_t reserved = 0;  // bytes of all segments (in_use + cached)
    std::size_t segments = 0;
    std::size_t raw_allocations = 0;  // calls that reached Raw::allocate, successful or not
  };

  static constexpr std::size_t kAlignment = 512;
  static constexpr std::size_t kSmallRequest = 1 << 20;  // up to 1 MiB shares segments
  static constexpr std::size_t kSmallSegment = 2 << 20;
  static constexpr std::size_t kLargeRounding = 2 << 20;

  explicit CachingAllocator(Raw raw) : raw_(std::move(raw)) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // Null when the device is out of memory even after releasing the cache (the caller reports
  // it, with stats()). Zero bytes gives a distinct 512-byte block, as malloc(0) may.
  void* allocate(std::size_t bytes);
  // `ptr` must come from allocate(); null is ignored.
  void deallocate(void* ptr);
  // Frees every segment that holds no live block; returns the bytes released.
  std::size_t release_cached();
  Stats stats() const { return stats_; }

 private:
  struct Block {
    char* address;
    std::size_t size;
    bool small;     // cut from a small-request segment
    bool free;
    Block* prev;    // neighbours inside the same segment, by address
    Block* next;
  };
  struct BySize {
    bool operator()(const Block* a, const Block* b) const {
      return a->size != b->size ? a->size < b->size : a->address < b->address;
    }
  };
  using Pool = std::set<Block*, BySize>;

  Block* take_from(Pool& pool, std::size_t size);
  Block* new_segment(std::size_t size, bool small);
  void split(Block* block, std::size_t size, Pool& pool);

  Raw raw_;
  Pool small_free_, large_free_;
  std::unordered_map<void*, Block*> live_;  // handed-out blocks by address
  Stats stats_;
};

}  // namespace keras::cuda_backend
