#include "engine/sync/change_writer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "engine/sync/content_rules.h"

namespace tether::sync {
namespace {

// A batch is handed over at once: one queue operation per batch, not per
// file, keeps the threads from waking each other 100,000 times.
constexpr size_t kBatchChanges = 64;
constexpr size_t kBatchBytes = 1u << 20;
// Read-ahead, in bytes of content waiting for the writer.
constexpr size_t kReadAheadBytes = 4u << 20;

}  // namespace

struct ChangeWriter::Prepared {
  Status status;            // a read error stops the write
  bool has_document = false;
  Document document;
};

ChangeWriter::ChangeWriter(Repository* reader, OpenReader open_reader, size_t max_readers,
                           uint64_t max_content_bytes, ChangeWriterHooks hooks)
    : first_reader_(reader),
      open_reader_(std::move(open_reader)),
      max_readers_(std::max<size_t>(1, max_readers)),
      max_content_bytes_(max_content_bytes),
      hooks_(std::move(hooks)) {}

ChangeWriter::Prepared ChangeWriter::Prepare(Repository* repo, const PlannedChange& planned) const {
  Prepared prepared;
  const Change& change = planned.change;
  if (!planned.refused.empty() || change.kind == ChangeKind::kDeleted) return prepared;
  prepared.has_document = true;
  Document& document = prepared.document;
  document.language = DetectLanguage(change.entry.path);
  if (change.entry.kind == EntryKind::kSubmodule) return prepared;
  Result<Blob> blob = repo->ReadBlob(change.entry.blob_id, max_content_bytes_);
  if (!blob.ok()) {
    prepared.status = blob.status().WithContext(DisplayPath(change.entry.path));
    return prepared;
  }
  document.size = blob->size;
  if (!blob->truncated) {
    document.is_binary = !LooksLikeText(blob->data);
    if (!document.is_binary) {
      document.has_content = true;
      document.content = std::move(blob->data);
    }
  }
  return prepared;
}

// What the readers hand the writer: the parts of each batch, in batch
// order, under one lock. A batch is claimed by one reader and sent in parts
// (at kBatchBytes of content); the writer applies batch after batch. Read
// ahead is bounded in bytes, except for the batch the writer waits for, so
// that the reader of that batch never waits for the others.
struct ChangeWriter::Handoff {
  struct Slot {
    std::deque<std::vector<Prepared>> parts;
    bool complete = false;
  };
  std::mutex mutex;
  std::condition_variable parts_ready;   // the writer waits on it
  std::condition_variable space_freed;   // readers wait on it
  std::map<size_t, Slot> slots;          // by batch number
  size_t writing = 0;                    // the batch the writer is at
  size_t buffered_bytes = 0;
  size_t readers_running = 0;
  bool stopping = false;
  Status open_failed;                    // the first reader that could not open
};

Status ChangeWriter::Run(ChangeFeed* feed, const CommitId& commit, StorageWriter* writer, int64_t* bytes_read) {
  Handoff handoff;
  std::atomic<size_t> next_batch{0};        // the next batch a reader claims
  std::atomic<uint64_t> content_read{0};    // bytes of content read so far, by every reader
  std::vector<std::unique_ptr<Repository>> opened;  // readers opened here; outlive their threads
  opened.reserve(max_readers_);
  std::vector<std::thread> threads;

  // One reader: claims batches until the feed has none left, sends each in
  // parts.
  auto read = [&](Repository* repo) {
    bool quit = false;
    while (!quit) {
      const size_t b = next_batch.fetch_add(1);
      ChangeFeed::Batch batch;
      if (feed->Get(b, &batch) != ChangeFeed::Got::kBatch) break;
      std::vector<Prepared> part;
      size_t bytes = 0;
      for (size_t i = 0; i < batch.size; ++i) {
        {
          std::lock_guard<std::mutex> lock(handoff.mutex);
          quit = handoff.stopping;
        }
        if (quit) break;
        part.push_back(Prepare(repo, batch.changes[i]));
        const Document& document = part.back().document;
        bytes += document.content.size();
        // What was inflated: the text kept, or a binary blob read whole.
        content_read.fetch_add(document.is_binary ? document.size : document.content.size(),
                               std::memory_order_relaxed);
        const bool failed = !part.back().status.ok();
        const bool last = i + 1 == batch.size;
        if (bytes < kBatchBytes && !failed && !last) continue;
        std::unique_lock<std::mutex> lock(handoff.mutex);
        handoff.space_freed.wait(lock, [&] {
          return handoff.stopping || b == handoff.writing || handoff.buffered_bytes < kReadAheadBytes;
        });
        if (handoff.stopping) {
          quit = true;
          break;
        }
        Handoff::Slot& slot = handoff.slots[b];
        slot.parts.push_back(std::move(part));
        slot.complete = last || failed;
        handoff.buffered_bytes += bytes;
        handoff.parts_ready.notify_all();
        // This reader stops; the writer returns the read's error when it
        // gets there, the other readers go on until it does.
        if (failed) quit = true;
        if (quit) break;
        part.clear();
        bytes = 0;
      }
    }
    std::lock_guard<std::mutex> lock(handoff.mutex);
    --handoff.readers_running;
    handoff.parts_ready.notify_all();
  };
  auto start_reader = [&](Repository* repo) {
    {
      std::lock_guard<std::mutex> lock(handoff.mutex);
      ++handoff.readers_running;
    }
    if (repo != nullptr) {
      threads.emplace_back([&, repo] { read(repo); });
      return;
    }
    opened.push_back(nullptr);
    std::unique_ptr<Repository>* mine = &opened.back();
    threads.emplace_back([&, mine] {
      // Opened on its own thread: the writer does not wait for it. A reader
      // that cannot open leaves the batches to the others; the first such
      // error is the write's when no reader is left.
      Result<std::unique_ptr<Repository>> repository = open_reader_();
      if (repository.ok()) {
        *mine = std::move(repository).value();
        read(mine->get());
        return;
      }
      std::lock_guard<std::mutex> lock(handoff.mutex);
      if (handoff.open_failed.ok()) handoff.open_failed = repository.status().WithContext("opening a blob reader");
      --handoff.readers_running;
      handoff.parts_ready.notify_all();
    });
  };
  auto stop = [&] {
    {
      std::lock_guard<std::mutex> lock(handoff.mutex);
      handoff.stopping = true;
    }
    feed->Close();  // readers waiting for a batch, and the feed's producer, stop
    handoff.space_freed.notify_all();
    for (std::thread& t : threads) t.join();
  };
  auto stop_with = [&](Status status) {
    stop();
    return status;
  };
  // Batches are left to claim while the feed goes on or has unclaimed ones.
  auto batches_left = [&] { return !feed->ended() || next_batch.load() < feed->batches(); };

  if (first_reader_ == nullptr && !open_reader_) return stop_with(Status::Internal("no blob reader to write with"));
  start_reader(first_reader_);
  size_t readers = 1;
  auto check_cancel = [&] { return hooks_.check_cancel ? hooks_.check_cancel() : Status::Ok(); };
  int64_t done = 0;
  // The total the last progress call had; the caller knows the total of a
  // feed that is whole from the start.
  int64_t reported_total = feed->ended() ? feed->total_changes() : 0;
  auto progress = [&](int64_t total) {
    if (hooks_.on_progress) hooks_.on_progress(done, total);
    reported_total = total;
  };
  // A streamed feed's total is known once its diff ended, which may be
  // after the last change was applied.
  auto finish = [&] {
    stop();
    if (reported_total != feed->total_changes()) progress(feed->total_changes());
    return Status::Ok();
  };
  for (size_t b = 0;; ++b) {
    // The feed's end: every batch applied, or the diff behind it failed.
    if (feed->ended()) {
      Status diffed = feed->end_status();
      if (!diffed.ok()) return stop_with(diffed);
      if (b >= feed->batches()) break;
    }
    size_t i = 0;  // the next change of batch b to apply
    ChangeFeed::Batch batch;
    while (true) {  // the parts of batch b
      // Another reader once the content read so far says the change set is
      // large: kReaderBytes per reader running, while batches are left.
      if (readers < max_readers_ && open_reader_ &&
          content_read.load(std::memory_order_relaxed) >= readers * kReaderBytes && batches_left()) {
        start_reader(nullptr);
        ++readers;
      }
      std::vector<Prepared> part;
      bool last_part = false;
      {
        std::unique_lock<std::mutex> lock(handoff.mutex);
        while (true) {
          auto it = handoff.slots.find(b);
          if (it != handoff.slots.end() && !it->second.parts.empty()) {
            part = std::move(it->second.parts.front());
            it->second.parts.pop_front();
            last_part = it->second.complete && it->second.parts.empty();
            if (last_part) handoff.slots.erase(it);
            break;
          }
          if (handoff.readers_running == 0) {
            // Every reader is gone: at the feed's end when batch b is past
            // it, else because none could go on.
            Status open_failed = handoff.open_failed;
            lock.unlock();
            if (feed->ended() && b >= feed->batches()) {
              Status diffed = feed->end_status();
              if (!diffed.ok()) return stop_with(diffed);
              return finish();
            }
            if (!open_failed.ok()) return stop_with(open_failed);
            return stop_with(Status::Internal("a blob reader stopped early"));
          }
          if (hooks_.check_cancel) {
            handoff.parts_ready.wait_for(lock, kWaitSlice);
            lock.unlock();
            Status go_on = check_cancel();
            if (!go_on.ok()) return stop_with(go_on);
            // A failed diff ends the feed while the readers wait for batches.
            if (feed->ended() && !feed->end_status().ok()) return stop_with(feed->end_status());
            lock.lock();
          } else {
            handoff.parts_ready.wait(lock);
          }
        }
        size_t bytes = 0;
        for (const Prepared& prepared : part) bytes += prepared.document.content.size();
        handoff.buffered_bytes -= bytes;
        if (last_part) handoff.writing = b + 1;
      }
      handoff.space_freed.notify_all();
      // The batch's changes, for the writer: published, since a reader sent
      // parts of it, and not released before this thread releases it.
      if (batch.changes == nullptr && feed->Get(b, &batch) != ChangeFeed::Got::kBatch) {
        return stop_with(Status::Internal("the change feed lost a batch being written"));
      }
      const int64_t total = feed->ended() ? feed->total_changes() : 0;  // 0: not known yet
      for (Prepared& prepared : part) {
        const PlannedChange& planned = batch.changes[i++];
        const Change& change = planned.change;
        Status go_on = check_cancel();
        if (!go_on.ok()) return stop_with(go_on);
        if (!prepared.status.ok()) return stop_with(prepared.status);
        if (!planned.refused.empty()) {
          if (hooks_.on_refused) hooks_.on_refused(DisplayPath(change.entry.path), planned.refused);
        } else {
          *bytes_read += static_cast<int64_t>(prepared.document.content.size());
          Status applied = writer->Apply(change, prepared.has_document ? &prepared.document : nullptr, commit);
          if (!applied.ok()) return stop_with(applied);
        }
        ++done;
        progress(total);
      }
      if (last_part) break;
    }
    feed->Release(b);
  }
  return finish();
}

}  // namespace tether::sync
