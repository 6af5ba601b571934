// BoundedQueue: a FIFO between one producer thread and one consumer thread,
// bounded by a total cost (for example bytes), so that a fast producer cannot
// run away with memory. Close() ends it from either side: Push returns false
// once closed, Pop returns nothing once closed and drained.
//
// Thread safety: all methods may be called from any thread.
#ifndef TETHER_ENGINE_COMMON_BOUNDED_QUEUE_H_
#define TETHER_ENGINE_COMMON_BOUNDED_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace tether {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t max_cost) : max_cost_(max_cost) {}

  // Blocks while the queue holds more than max_cost (an item larger than
  // max_cost still passes when the queue is empty). False when closed.
  bool Push(T item, size_t cost) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.empty() || cost_ + cost <= max_cost_; });
    if (closed_) return false;
    cost_ += cost;
    items_.emplace_back(std::move(item), cost);
    not_empty_.notify_one();
    return true;
  }

  // Blocks until an item is there; nothing when closed and drained.
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    auto [item, cost] = std::move(items_.front());
    items_.pop_front();
    cost_ -= cost;
    not_full_.notify_one();
    return std::move(item);
  }

  // Like Pop, but waits at most `timeout`: nothing, with `*timed_out` set,
  // when no item came in time (and the queue is still open).
  std::optional<T> PopFor(std::chrono::milliseconds timeout, bool* timed_out) {
    std::unique_lock<std::mutex> lock(mutex_);
    *timed_out = !not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    auto [item, cost] = std::move(items_.front());
    items_.pop_front();
    cost_ -= cost;
    not_full_.notify_one();
    return std::move(item);
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  const size_t max_cost_;
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<std::pair<T, size_t>> items_;
  size_t cost_ = 0;
  bool closed_ = false;
};

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_BOUNDED_QUEUE_H_
