#pragma once
// Computes the batches of one epoch ahead of the training loop on worker threads: at most
// max_queue_size batches wait, and they are handed over in index order, so a run gives the same
// batches whatever the number of workers (Sequence::get must be a pure function of the index).
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "keras/utils/sequence.hpp"

namespace keras::internal {

class Prefetcher {
 public:
  Prefetcher(utils::Sequence& data, std::size_t first, std::size_t count, int workers, int max_queue_size)
      : data_(data), next_(first), end_(first + count), wanted_(first),
        capacity_(static_cast<std::size_t>(std::max(1, max_queue_size))) {
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this] { work(); });
  }
  ~Prefetcher() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_) t.join();
  }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next batch in index order; rethrows what a worker threw.
  utils::Batch next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return ready_.count(wanted_) || error_; });
    if (error_) std::rethrow_exception(error_);
    utils::Batch batch = std::move(ready_.at(wanted_));
    ready_.erase(wanted_++);
    changed_.notify_all();
    return batch;
  }

 private:
  void work() {
    while (true) {
      std::size_t index;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || error_ || (next_ < end_ && next_ < wanted_ + capacity_); });
        if (stopping_ || error_ || next_ >= end_) return;
        index = next_++;
      }
      try {
        utils::Batch batch = data_.get(index % data_.size());
        std::lock_guard lock(mutex_);
        ready_.emplace(index, std::move(batch));
      } catch (...) {
        std::lock_guard lock(mutex_);
        error_ = std::current_exception();
      }
      changed_.notify_all();
    }
  }

  utils::Sequence& data_;
  std::size_t next_, end_, wanted_, capacity_;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::map<std::size_t, utils::Batch> ready_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;
};

}  // namespace keras::internal
