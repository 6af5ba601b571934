// ChangeWriter: the write phase of a sync. Applies a change set to a storage
// writer in order, reading each added or modified blob from the repository
// and deciding what of it to store (text within the size limit; metadata
// only for binary or larger files). Changes the ChangeSet marked refused are
// skipped and reported.
//
// Reading (inflating git objects) and writing (the database) each take about
// half the time of a first sync, so blobs are read ahead on reader threads,
// each with its own Repository, while the calling thread writes. One reader
// starts with the given repository; another is opened (on its own thread)
// each time the content read so far passes kReaderBytes per reader running,
// up to max_readers: the readers follow the bytes to read, which the change
// set does not tell beforehand (a 10-file change reads with one, a change
// of 900 files and 25 MB with two). Readers claim the change set in
// batches from a ChangeFeed (change_feed.h), whole or still being planned
// by the diff; the writer takes the batches back in order, so changes are
// applied in change-set order, and releases each once applied. The
// read-ahead is bounded in bytes.
//
// Thread safety: Run is called once, from one thread. The repositories are
// used only by their reader thread while Run runs. Events may be emitted
// from reader threads (EventLog is thread-safe).
#ifndef TETHER_ENGINE_SYNC_CHANGE_WRITER_H_
#define TETHER_ENGINE_SYNC_CHANGE_WRITER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/sync/change_feed.h"
#include "engine/sync/change_set.h"
#include "tether/provider.h"
#include "tether/status.h"
#include "tether/storage.h"
#include "tether/types.h"

namespace tether::sync {

struct ChangeWriterHooks {
  // Called on the writing thread for a change that is skipped because its
  // path is refused, with the path as displayed and the reason.
  std::function<void(const std::string& path, const std::string& reason)> on_refused;
  // Called on the writing thread after each applied change.
  std::function<void(int64_t done, int64_t total)> on_progress;
  // Called on the writing thread before each change and, while it waits for
  // blobs, every kWaitSlice: a non-OK status (a cancel) stops the write at
  // once and is returned. The blob readers stop before their next read; a
  // read in progress finishes first.
  std::function<Status()> check_cancel;
};

class ChangeWriter {
 public:
  // Opens another Repository on the same repository, for another reader.
  using OpenReader = std::function<Result<std::unique_ptr<Repository>>()>;

  // `reader` (borrowed, must outlive Run) reads first; `open_reader` (may be
  // empty: one reader) opens the others, at most `max_readers` in all. A
  // null `reader` (the repository is busy with a streamed diff) has the
  // first reader opened too.
  ChangeWriter(Repository* reader, OpenReader open_reader, size_t max_readers, uint64_t max_content_bytes,
               ChangeWriterHooks hooks);

  // Content read per reader running before another one starts.
  static constexpr uint64_t kReaderBytes = 1u << 20;

  // How long the writing thread waits for the next blobs between two
  // checks of hooks.check_cancel.
  static constexpr std::chrono::milliseconds kWaitSlice{10};

  // Applies the changes of `feed` at `commit` through `writer` (not
  // committed here) until the feed ends, adding the bytes of content read
  // to `*bytes_read`. Stops at the first read or write error, a cancel, or
  // a feed that ended with an error, and returns it; the caller then drops
  // the writer (rollback). The feed is closed when Run returns.
  Status Run(ChangeFeed* feed, const CommitId& commit, StorageWriter* writer, int64_t* bytes_read);

 private:
  struct Prepared;
  struct Handoff;
  Prepared Prepare(Repository* repo, const PlannedChange& planned) const;

  Repository* first_reader_;
  OpenReader open_reader_;
  size_t max_readers_;
  uint64_t max_content_bytes_;
  ChangeWriterHooks hooks_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_CHANGE_WRITER_H_
