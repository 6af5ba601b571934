#include "engine/sync/change_writer.h"

#include <atomic>
#include <optional>
#include <thread>
#include <utility>

#include "engine/common/bounded_queue.h"
#include "engine/sync/content_rules.h"

namespace tether::sync {
namespace {

// A batch is handed over at once: one queue operation per batch, not per
// file, keeps the threads from waking each other 100,000 times.
constexpr size_t kBatchChanges = 64;
constexpr size_t kBatchBytes = 1u << 20;
// Read-ahead per reader, in bytes of content.
constexpr size_t kReadAheadBytes = 8u << 20;

}  // namespace

struct ChangeWriter::Prepared {
  Status status;            // a read error stops the write
  bool has_document = false;
  Document document;
};

ChangeWriter::ChangeWriter(std::vector<Repository*> readers, uint64_t max_content_bytes,
                           ChangeWriterHooks hooks)
    : readers_(std::move(readers)), max_content_bytes_(max_content_bytes), hooks_(std::move(hooks)) {}

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

Status ChangeWriter::Run(const ChangeSet& change_set, const CommitId& commit, StorageWriter* writer,
                         int64_t* bytes_read) {
  const std::vector<PlannedChange>& changes = change_set.changes();
  using Batch = std::vector<Prepared>;
  const size_t n = readers_.size();
  std::vector<std::unique_ptr<BoundedQueue<Batch>>> queues;
  for (size_t r = 0; r < n; ++r) queues.push_back(std::make_unique<BoundedQueue<Batch>>(kReadAheadBytes));

  // Batch b is changes [b * kBatchChanges, (b + 1) * kBatchChanges); reader
  // r prepares batches r, r + n, r + 2n, ... into its own queue, sending a
  // batch in parts when its content passes kBatchBytes. The writer takes
  // batch b from queue b % n, part after part until the batch is complete.
  // Set when the writer stops early: readers stop before their next read
  // rather than at the end of their batch.
  std::atomic<bool> stopping{false};
  std::vector<std::thread> threads;
  for (size_t r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      BoundedQueue<Batch>& queue = *queues[r];
      for (size_t start = r * kBatchChanges; start < changes.size(); start += n * kBatchChanges) {
        size_t end = std::min(changes.size(), start + kBatchChanges);
        Batch batch;
        size_t bytes = 0;
        for (size_t i = start; i < end; ++i) {
          if (stopping.load(std::memory_order_relaxed)) return;
          batch.push_back(Prepare(readers_[r], changes[i]));
          bytes += batch.back().document.content.size();
          bool failed = !batch.back().status.ok();
          if (bytes >= kBatchBytes || failed || i + 1 == end) {
            if (!queue.Push(std::move(batch), bytes + 1)) return;  // the writer stopped
            if (failed) return;
            batch = Batch();
            bytes = 0;
          }
        }
      }
      queue.Close();
    });
  }

  auto stop = [&] {
    stopping = true;
    for (auto& queue : queues) queue->Close();
    for (std::thread& t : threads) t.join();
  };
  auto check_cancel = [&] { return hooks_.check_cancel ? hooks_.check_cancel() : Status::Ok(); };
  const int64_t total = static_cast<int64_t>(changes.size());
  int64_t done = 0;
  for (size_t start = 0, turn = 0; start < changes.size(); start += kBatchChanges, ++turn) {
    size_t end = std::min(changes.size(), start + kBatchChanges);
    BoundedQueue<Batch>& queue = *queues[turn % n];
    size_t i = start;
    while (i < end) {  // the parts of this turn's batch
      std::optional<Batch> batch;
      for (bool waiting = true; waiting;) {
        Status go_on = check_cancel();
        if (!go_on.ok()) {
          stop();
          return go_on;
        }
        if (hooks_.check_cancel) {
          batch = queue.PopFor(kWaitSlice, &waiting);
        } else {
          batch = queue.Pop();
          waiting = false;
        }
      }
      if (!batch) {
        stop();
        return Status::Internal("a blob reader stopped early");
      }
      for (Prepared& prepared : *batch) {
        const PlannedChange& planned = changes[i++];
        const Change& change = planned.change;
        Status go_on = check_cancel();
        if (!go_on.ok()) {
          stop();
          return go_on;
        }
        if (!prepared.status.ok()) {
          stop();
          return prepared.status;
        }
        if (!planned.refused.empty()) {
          if (hooks_.on_refused) hooks_.on_refused(DisplayPath(change.entry.path), planned.refused);
        } else {
          *bytes_read += static_cast<int64_t>(prepared.document.content.size());
          Status applied = writer->Apply(change, prepared.has_document ? &prepared.document : nullptr, commit);
          if (!applied.ok()) {
            stop();
            return applied;
          }
        }
        ++done;
        if (hooks_.on_progress) hooks_.on_progress(done, total);
      }
    }
  }
  stop();
  return Status::Ok();
}

}  // namespace tether::sync
