// The host-side logic of the CUDA backend, run on the CPU (no GPU or toolkit needed): the
// caching allocator over fake device memory, and the convolution algorithm cache's fall-back
// rules.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "backends/cuda/algorithm_cache.hpp"
#include "backends/cuda/caching_allocator.hpp"

using keras::cuda_backend::AlgorithmCache;
using keras::cuda_backend::CachingAllocator;

namespace {

// Host memory standing in for the device, with a budget and a record of what is live.
struct FakeDevice {
  std::size_t budget = std::size_t{64} << 20, used = 0;
  std::set<void*> live;
  std::vector<std::size_t> sizes_asked;
  CachingAllocator::Raw raw() {
    return {[this](std::size_t bytes) -> void* {
              sizes_asked.push_back(bytes);
              if (used + bytes > budget) return nullptr;
              void* p = std::aligned_alloc(512, (bytes + 511) / 512 * 512);  // cudaMalloc aligns to 256 or more
              used += bytes;
              live.insert(p);
              sizes[p] = bytes;
              return p;
            },
            [this](void* p) {
              used -= sizes.at(p);
              sizes.erase(p);
              live.erase(p);
              std::free(p);
            }};
  }
  std::map<void*, std::size_t> sizes;
};

}  // namespace

TEST_CASE("cuda allocator: small requests share segments, freed blocks are reused best-fit") {
  FakeDevice device;
  {
    CachingAllocator a(device.raw());
    void* p = a.allocate(1000);
    void* q = a.allocate(3000);
    CHECK(a.stats().segments == 1);  // both cut from one 2 MiB segment
    CHECK(reinterpret_cast<std::uintptr_t>(p) % CachingAllocator::kAlignment == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(q) % CachingAllocator::kAlignment == 0);
    CHECK(static_cast<char*>(q) - static_cast<char*>(p) == 1024);  // 1000 rounded up to 512s
    a.deallocate(p);
    void* r = a.allocate(700);  // fits the freed 1024-byte block exactly: best fit takes it
    CHECK(r == p);
    const auto raw_before = a.stats().raw_allocations;
    for (int step = 0; step < 100; ++step) {  // a training loop's steady state: no new segments
      void* t = a.allocate(5000);
      a.deallocate(t);
    }
    CHECK(a.stats().raw_allocations == raw_before);
    a.deallocate(q);
    a.deallocate(r);
    CHECK(a.stats().in_use == 0);
  }
  CHECK(device.live.empty());  // the destructor returned every segment
}

TEST_CASE("cuda allocator: blocks split and merge back, so a freed segment serves a large request") {
  FakeDevice device;
  CachingAllocator a(device.raw());
  void* big = a.allocate(std::size_t{8} << 20);
  CHECK(a.stats().segments == 1);
  a.deallocate(big);
  void* x = a.allocate(std::size_t{3} << 20);
  void* y = a.allocate(std::size_t{3} << 20);
  CHECK(a.stats().segments == 1);  // both cut from the freed 8 MiB segment
  CHECK(static_cast<char*>(y) - static_cast<char*>(x) == std::ptrdiff_t{3} << 20);
  a.deallocate(x);
  a.deallocate(y);  // merges with x's block and the tail: one 8 MiB block again
  void* whole = a.allocate(std::size_t{8} << 20);
  CHECK(whole == big);
  CHECK(a.stats().segments == 1);
  a.deallocate(whole);
  CHECK(a.stats().cached == a.stats().reserved);
}

TEST_CASE("cuda allocator: out of memory releases the cache and retries, then reports null") {
  FakeDevice device;
  device.budget = std::size_t{16} << 20;
  CachingAllocator a(device.raw());
  void* p = a.allocate(std::size_t{10} << 20);
  a.deallocate(p);  // cached: 10 MiB segment, free
  void* q = a.allocate(std::size_t{12} << 20);  // does not fit beside it: the cache is released first
  REQUIRE(q != nullptr);
  CHECK(a.stats().segments == 1);
  CHECK(a.allocate(std::size_t{8} << 20) == nullptr);  // truly out of memory: null, nothing leaked
  CHECK(a.stats().in_use == std::size_t{12} << 20);
  a.deallocate(q);
  CHECK(a.release_cached() == std::size_t{12} << 20);
  CHECK(device.live.empty());
}

TEST_CASE("cuda algorithm cache: the choice is made once, and a failing one is re-picked without it") {
  AlgorithmCache<int> cache;
  int rankings = 0;
  std::set<int> broken{0};
  auto rank = [&] {
    ++rankings;
    return std::vector<int>{0, 1, 2};
  };
  auto run = [&](const int& choice) { return !broken.count(choice); };
  CHECK(cache.run("conv a", rank, run) == 1);  // 0 fails, 1 runs and is remembered
  CHECK(rankings == 1);
  CHECK(cache.run("conv a", rank, run) == 1);  // from the cache: no ranking
  CHECK(rankings == 1);
  broken.insert(1);  // the cached choice stops working (e.g. its workspace no longer fits)
  CHECK(cache.run("conv a", rank, run) == 2);
  CHECK(rankings == 2);
  CHECK(cache.find("conv a") == 2);
  broken.insert(2);
  CHECK_FALSE(cache.run("conv a", rank, run).has_value());  // nothing works: the caller falls back
  CHECK_FALSE(cache.find("conv a").has_value());
  CHECK(cache.run("conv b", [] { return std::vector<int>{}; }, run) == std::nullopt);
}
