#include "caching_allocator.hpp"

#include <vector>

namespace keras::cuda_backend {

namespace {
std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

CachingAllocator::~CachingAllocator() {
  // Every block is either free (in a pool) or live; a live one at destruction belongs to a
  // tensor outliving the backend (process exit), and its segment goes with the rest.
  std::vector<Block*> all(small_free_.begin(), small_free_.end());
  all.insert(all.end(), large_free_.begin(), large_free_.end());
  for (auto& entry : live_) all.push_back(entry.second);
  for (Block* b : all) {
    if (!b->prev) raw_.free(b->address);  // a segment's first block holds its address
  }
  for (Block* b : all) delete b;
}

CachingAllocator::Block* CachingAllocator::take_from(Pool& pool, std::size_t size) {
  Block probe{nullptr, size, false, true, nullptr, nullptr};
  auto it = pool.lower_bound(&probe);  // the smallest free block that fits: best fit
  if (it == pool.end()) return nullptr;
  Block* block = *it;
  pool.erase(it);
  return block;
}

CachingAllocator::Block* CachingAllocator::new_segment(std::size_t size, bool small) {
  ++stats_.raw_allocations;
  void* memory = raw_.allocate(size);
  if (!memory) {
    release_cached();  // cached segments may be what stands in the way
    ++stats_.raw_allocations;
    memory = raw_.allocate(size);
    if (!memory) return nullptr;
  }
  ++stats_.segments;
  stats_.reserved += size;
  stats_.cached += size;
  return new Block{static_cast<char*>(memory), size, small, true, nullptr, nullptr};
}

// Cuts `block` down to `size`, returning the rest to `pool` if it is worth keeping apart.
void CachingAllocator::split(Block* block, std::size_t size, Pool& pool) {
  const std::size_t rest = block->size - size;
  const std::size_t minimum = block->small ? kAlignment : kSmallRequest;
  if (rest < minimum) return;
  Block* tail = new Block{block->address + size, rest, block->small, true, block, block->next};
  if (block->next) block->next->prev = tail;
  block->next = tail;
  block->size = size;
  pool.insert(tail);
}

void* CachingAllocator::allocate(std::size_t bytes) {
  const bool small = bytes <= kSmallRequest;
  const std::size_t size = round_up(bytes == 0 ? 1 : bytes, kAlignment);
  Pool& pool = small ? small_free_ : large_free_;
  Block* block = take_from(pool, size);
  if (!block) {
    block = new_segment(small ? kSmallSegment : round_up(size, kLargeRounding), small);
    if (!block) return nullptr;
  }
  split(block, size, pool);
  block->free = false;
  stats_.in_use += block->size;
  stats_.cached -= block->size;
  live_.emplace(block->address, block);
  return block->address;
}

void CachingAllocator::deallocate(void* ptr) {
  if (!ptr) return;
  auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: the backend checks before calling
  Block* block = it->second;
  live_.erase(it);
  block->free = true;
  stats_.in_use -= block->size;
  stats_.cached += block->size;
  Pool& pool = block->small ? small_free_ : large_free_;
  // Merge with free neighbours of the same segment, so the next large request fits again.
  if (Block* next = block->next; next && next->free) {
    pool.erase(next);
    block->size += next->size;
    block->next = next->next;
    if (next->next) next->next->prev = block;
    delete next;
  }
  if (Block* prev = block->prev; prev && prev->free) {
    pool.erase(prev);
    prev->size += block->size;
    prev->next = block->next;
    if (block->next) block->next->prev = prev;
    delete block;
    block = prev;
  }
  pool.insert(block);
}

std::size_t CachingAllocator::release_cached() {
  std::size_t released = 0;
  for (Pool* pool : {&small_free_, &large_free_}) {
    for (auto it = pool->begin(); it != pool->end();) {
      Block* b = *it;
      if (b->prev || b->next) {  // part of a segment that still holds a live block
        ++it;
        continue;
      }
      it = pool->erase(it);
      raw_.free(b->address);
      released += b->size;
      stats_.reserved -= b->size;
      stats_.cached -= b->size;
      --stats_.segments;
      delete b;
    }
  }
  return released;
}

}  // namespace keras::cuda_backend
