// Which blocks a recorded capture keeps reserved (keras/internal/captured_memory.hpp): the rule
// that keeps a replay from writing memory the allocator handed to someone else.
#include <doctest/doctest.h>

#include <algorithm>

#include "keras/internal/captured_memory.hpp"

using keras::internal::CapturedMemory;

namespace {
void* block(int i) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(0x1000 * (i + 1))); }
bool contains(const std::vector<void*>& v, void* p) { return std::find(v.begin(), v.end(), p) != v.end(); }
}  // namespace

TEST_CASE("a recording keeps what it allocated or freed until it is released") {
  CapturedMemory m;
  void* older = block(0);  // allocated before the recording
  CHECK_FALSE(m.keep(block(9), false));  // nothing recorded: freed at once
  m.begin(1);
  m.allocated(block(1), 64, true);  // a temporary of the step
  m.allocated(block(2), 64, true);  // the step's output, still held afterwards
  m.allocated(block(3), 64, false);  // another thread's upload meanwhile: not the recording's
  CHECK(m.keep(block(1), true));
  CHECK(m.keep(older, true));     // the step read it last: kept too
  CHECK_FALSE(m.keep(block(3), false));
  m.end();
  CHECK(m.keep(block(2), false));  // the output dropped after recording: reserved still
  CHECK_FALSE(m.keep(block(4), false));
  const auto freed = m.release(1);
  CHECK(freed.size() == 3);
  CHECK(contains(freed, block(1)));
  CHECK(contains(freed, block(2)));
  CHECK(contains(freed, older));
  CHECK(m.reserved_blocks() == 0);
}

TEST_CASE("a block still held when its recording goes becomes an ordinary block") {
  CapturedMemory m;
  m.begin(1);
  m.allocated(block(1), 64, true);
  m.end();
  CHECK(m.release(1).empty());
  CHECK_FALSE(m.keep(block(1), false));  // freed at once now
}

TEST_CASE("a block two recordings need is freed only when both are gone") {
  CapturedMemory m;
  m.begin(1);
  m.allocated(block(1), 64, true);
  m.end();
  m.begin(2);
  CHECK(m.keep(block(1), true));  // the second recording read it last
  m.end();
  CHECK(m.release(1).empty());
  const auto freed = m.release(2);
  REQUIRE(freed.size() == 1);
  CHECK(freed.front() == block(1));
}

TEST_CASE("a recording hands its own freed blocks out again within it, and only those") {
  CapturedMemory m;
  void* older = block(0);
  m.begin(1);
  CHECK(m.reuse(64, true) == nullptr);
  m.allocated(block(1), 64, true);
  CHECK(m.keep(block(1), true));
  CHECK(m.keep(older, true));               // kept, but not the recording's to hand out
  CHECK(m.reuse(64, false) == nullptr);     // not to another thread
  CHECK(m.reuse(128, true) == nullptr);     // exact sizes only
  CHECK(m.reuse(64, true) == block(1));     // held again
  CHECK(m.reuse(64, true) == nullptr);
  m.end();
  CHECK(m.reuse(64, true) == nullptr);      // not outside the recording
  const auto freed = m.release(1);          // block(1) is held by a tensor: not freed
  CHECK(freed.size() == 1);
  CHECK(contains(freed, older));
  CHECK_FALSE(m.keep(block(1), false));     // an ordinary block now
}
