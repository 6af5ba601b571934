#include "engine/sync/change_feed.h"

#include <algorithm>
#include <utility>

namespace tether::sync {

ChangeFeed::ChangeFeed(const ChangeSet& set) : whole_(&set.changes()) {
  published_batches_ = (set.size() + kBatchChanges - 1) / kBatchChanges;
  total_changes_ = static_cast<int64_t>(set.size());
  ended_ = true;
}

bool ChangeFeed::Publish(std::vector<PlannedChange> batch) {
  std::unique_lock<std::mutex> lock(mutex_);
  released_.wait(lock, [&] { return closed_ || published_batches_ - released_batches_ < kMaxBatchesAhead; });
  if (closed_) return false;
  total_changes_ += static_cast<int64_t>(batch.size());
  owned_.emplace(published_batches_++, std::move(batch));
  published_.notify_all();
  return true;
}

void ChangeFeed::End(Status status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ended_ = true;
  end_status_ = std::move(status);
  published_.notify_all();
}

bool ChangeFeed::WaitFullOrEnded(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return published_.wait_for(lock, timeout, [&] {
    return closed_ || ended_ || published_batches_ - released_batches_ >= kMaxBatchesAhead;
  });
}

ChangeFeed::Got ChangeFeed::Get(size_t b, Batch* out) {
  std::unique_lock<std::mutex> lock(mutex_);
  published_.wait(lock, [&] { return closed_ || b < published_batches_ || ended_; });
  if (closed_) return Got::kClosed;
  if (b >= published_batches_) return Got::kEnd;
  if (whole_ != nullptr) {
    const size_t first = b * kBatchChanges;
    out->changes = whole_->data() + first;
    out->size = std::min(kBatchChanges, whole_->size() - first);
    return Got::kBatch;
  }
  const std::vector<PlannedChange>& batch = owned_.at(b);
  out->changes = batch.data();
  out->size = batch.size();
  return Got::kBatch;
}

void ChangeFeed::Release(size_t b) {
  std::lock_guard<std::mutex> lock(mutex_);
  while (released_batches_ <= b && released_batches_ < published_batches_) {
    owned_.erase(released_batches_++);
  }
  released_.notify_all();
}

void ChangeFeed::Close(Status why) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!closed_) closed_status_ = why.ok() ? Status::Unavailable("the write stopped") : std::move(why);
  closed_ = true;
  published_.notify_all();
  released_.notify_all();
}

Status ChangeFeed::closed_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_status_;
}

bool ChangeFeed::ended() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ended_;
}

size_t ChangeFeed::batches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_batches_;
}

int64_t ChangeFeed::total_changes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_changes_;
}

Status ChangeFeed::end_status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return end_status_;
}

}  // namespace tether::sync
