// Storage: where synced content goes, together with the project's cursor
// (the last synced commit). The engine owns the projects; a storage plugin
// keeps documents and the cursor for a project id the engine gives it.
//
// The contract that makes a sync exactly-once per commit: everything written
// through one StorageWriter and the new cursor become visible together, in
// one transaction, or not at all.
//
// Thread safety: Storage methods may be called from several threads at once.
// A StorageWriter is used by one thread at a time.
//
// Errors: NotFound for an unknown project; Conflict when the cursor moved
// since BeginWrite (another run got there first); Unavailable when the
// database is busy or unreachable; InvalidArgument for a value the storage
// cannot hold; Internal otherwise. A failed write changes nothing.
#ifndef TETHER_STORAGE_H_
#define TETHER_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "tether/plugin.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {

// What the engine read of one file for storage. `content` is filled only for
// text files within the configured size limit.
struct Document {
  uint64_t size = 0;
  bool is_binary = false;
  bool has_content = false;
  std::string content;
  std::string language;  // e.g. "cpp"; empty when unknown
};

// The project a storage call is for. A storage that keeps tenants apart in
// the database (PostgreSQL row-level security keyed on tether.tenant) runs
// the call as `tenant`: the engine's connection URL need not name one.
struct ProjectRef {
  int64_t id = 0;
  std::string tenant;  // never empty when the engine calls
};

// Counts a storage reports for one project.
struct StorageCounts {
  int64_t documents = 0;
  int64_t with_content = 0;
  int64_t binary = 0;
  int64_t with_embedding = 0;
  int64_t total_bytes = 0;
};

// Receives stored entries one at a time.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  virtual Status OnEntry(const Entry& entry) = 0;
};

// One open write transaction. Destroying it without a successful Commit
// rolls everything back.
class StorageWriter {
 public:
  virtual ~StorageWriter() = default;

  // Applies one change at `commit`. For kAdded and kModified, `document` is
  // the new content and replaces the row; derived columns (embedding,
  // analysis) are cleared when the blob id differs from the stored row's,
  // because they describe the old content, and kept when only the mode
  // changed. For kRenamed (same blob; the mode may differ), the row moves,
  // takes the new mode and kind, and keeps every derived column; `document`
  // describes the content, used only when there is no row at the old path
  // to move. For kDeleted, `document` is ignored.
  virtual Status Apply(const Change& change, const Document* document, const CommitId& commit) = 0;

  // Writes `new_cursor` and commits. The writer is finished afterwards.
  virtual Status Commit(const CommitId& new_cursor) = 0;
};

class Storage : public Plugin {
 public:
  Storage* AsStorage() override { return this; }

  // The project's last synced commit; empty when it never synced.
  virtual Result<CommitId> ReadCursor(const ProjectRef& project) = 0;

  // Streams every stored entry of the project (path, blob id, mode, kind).
  virtual Status ListEntries(const ProjectRef& project, EntrySink* sink) = 0;

  // Opens a write transaction for the project, whose cursor must still be
  // `expected_cursor` (the commit the caller diffed from; empty for none):
  // Conflict otherwise. The caller owns the writer.
  virtual Result<std::unique_ptr<StorageWriter>> BeginWrite(const ProjectRef& project,
                                                            const CommitId& expected_cursor) = 0;

  virtual Result<StorageCounts> Counts(const ProjectRef& project) = 0;
};

}  // namespace tether

#endif  // TETHER_STORAGE_H_
