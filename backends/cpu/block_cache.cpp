#include "block_cache.hpp"

#include <cstdlib>
#include <new>

namespace keras::cpu {

namespace {
// 64-byte alignment for vector loads; sizes rounded to 4 KiB pages (to 64 bytes below one
// page) so nearby sizes share blocks.
std::size_t rounded(std::size_t bytes) {
  const std::size_t granule = bytes >= 4096 ? 4096 : 64;
  return (std::max<std::size_t>(bytes, 1) + granule - 1) / granule * granule;
}
}  // namespace

BlockCache::~BlockCache() {
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) std::free(p);
  }
}

void* BlockCache::allocate(std::size_t bytes) {
  const std::size_t size = rounded(bytes);
  {
    std::lock_guard lock(mutex_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      cached_ -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (!p) throw std::bad_alloc();
  std::lock_guard lock(mutex_);
  sizes_[p] = size;
  return p;
}

void BlockCache::deallocate(void* ptr) noexcept {
  if (!ptr) return;
  std::lock_guard lock(mutex_);
  auto it = sizes_.find(ptr);
  if (it == sizes_.end()) return;  // not ours: nothing to do (cannot happen via Tensor)
  const std::size_t size = it->second;
  if (cached_ + size <= max_cached_) {
    try {
      free_[size].push_back(ptr);
      cached_ += size;
      return;
    } catch (...) {  // no memory for the bookkeeping: free the block instead
    }
  }
  sizes_.erase(it);
  std::free(ptr);
}

}  // namespace keras::cpu
