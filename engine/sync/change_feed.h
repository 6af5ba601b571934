// ChangeFeed: a change set in batches, on its way from the thread that
// plans it to the write's blob readers and its writer (change_writer.h).
//
// A feed is either whole from the start (a ChangeSet collected by the diff:
// the batches are views into it) or filled while the write runs (a first
// sync's diff streamed into its write: the batches are owned here, and a
// batch is freed once the writer has applied it). The producer of a
// streamed feed waits while kMaxBatchesAhead batches are published and not
// yet released, so a change set of any size is held kMaxBatchesAhead *
// kBatchChanges changes at a time (about 6 MB), and one that fits is held
// whole before the write begins (WaitFullOrEnded).
//
// Thread safety: every method may be called from any thread. Publish and
// End come from one producer thread; Get from readers; Release from the
// writer; Close from anyone.
#ifndef TETHER_ENGINE_SYNC_CHANGE_FEED_H_
#define TETHER_ENGINE_SYNC_CHANGE_FEED_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "engine/sync/change_set.h"
#include "tether/status.h"

namespace tether::sync {

class ChangeFeed {
 public:
  // Changes per batch: readers claim a batch at a time.
  static constexpr size_t kBatchChanges = 64;
  // Batches published and not yet released before Publish waits: 16,384
  // changes.
  static constexpr size_t kMaxBatchesAhead = 256;

  // A feed that is filled by Publish and ended by End.
  ChangeFeed() = default;
  // A feed holding all of `set` (borrowed: must outlive the feed), ended.
  explicit ChangeFeed(const ChangeSet& set);

  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // A batch's changes, valid until the batch is released.
  struct Batch {
    const PlannedChange* changes = nullptr;
    size_t size = 0;
  };
  enum class Got { kBatch, kEnd, kClosed };

  // Producer: publishes the next batch (not empty), waiting while the feed
  // is kMaxBatchesAhead batches ahead of the writer. False when the feed
  // was closed: the producer stops.
  bool Publish(std::vector<PlannedChange> batch);
  // Producer: no batch follows. A non-OK `status` (the diff failed) is the
  // write's error (end_status).
  void End(Status status);

  // Waits at most `timeout` until the producer waits (the feed holds
  // kMaxBatchesAhead batches) or the feed ended or was closed; true when
  // one of those came.
  bool WaitFullOrEnded(std::chrono::milliseconds timeout);
  // Waits until batch `b` is published (kBatch, into *out), or the feed
  // ended without it (kEnd) or was closed (kClosed).
  Got Get(size_t b, Batch* out);
  // The writer is done with batch `b` (and every batch before it).
  void Release(size_t b);
  // Stops the feed: Publish returns false, Get kClosed, and closed_status
  // says `why` (the first Close's). Idempotent.
  void Close(Status why = Status::Unavailable("the write stopped"));
  // Non-OK once the feed was closed: why. A producer asks it between two
  // batches too, to stop at once.
  Status closed_status() const;

  // Once ended: the batches and changes published in all; OK or End's.
  bool ended() const;
  size_t batches() const;
  int64_t total_changes() const;
  Status end_status() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable published_;  // Get waits on it
  std::condition_variable released_;   // Publish waits on it
  std::map<size_t, std::vector<PlannedChange>> owned_;  // a streamed feed's batches not yet released
  const std::vector<PlannedChange>* whole_ = nullptr;   // a whole feed's changes
  size_t published_batches_ = 0;
  size_t released_batches_ = 0;
  int64_t total_changes_ = 0;
  bool ended_ = false;
  bool closed_ = false;
  Status end_status_;
  Status closed_status_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_CHANGE_FEED_H_
