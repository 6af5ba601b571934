// Write-behind for a SQLite session's long write transaction: the disk
// writes while the transaction goes on, not all of it at the end.
//
// A first sync writes its pages into the WAL (hundreds of MB for 100,000
// files), and its COMMIT checkpoints them: it fsyncs the WAL, copies the
// pages into the database file and fsyncs that. With memory to spare, the
// kernel keeps all those pages dirty until the fsync, which then waits for
// the disk to write them all: a fifth of a first sync's time here, with
// the disk idle before it. While a WriteBehind lives, a thread asks the
// kernel every kIntervalMs to start writing out what the database file and
// its WAL hold dirty (Linux's sync_file_range, SYNC_FILE_RANGE_WRITE, as
// PostgreSQL's *_flush_after settings do), so that the final fsyncs wait
// only for the rest.
//
// Durability is SQLite's alone and unchanged: this never waits for the
// disk, and SQLite still makes its own fsyncs. Only the moment the pages
// reach the disk changes.
//
// The thread never opens the files: it asks through a descriptor SQLite
// has open on each (found in /proc/self/fd by device and inode). Closing a
// descriptor of the database file would drop every POSIX lock this process
// holds on it, SQLite's included, and another process could then take the
// file from under this one's connections (and delete the WAL they write).
//
// Ownership: the caller owns the WriteBehind and keeps `session` open for
// its lifetime; the thread never touches the session itself. Thread
// safety: create and destroy on one thread; the destructor stops and joins
// the thread (at most one interval).
#ifndef TETHER_SHARED_SQLITE_WRITE_BEHIND_H_
#define TETHER_SHARED_SQLITE_WRITE_BEHIND_H_

#include <memory>

namespace soci {
class session;
}

namespace tether::db {

class WriteBehind {
 public:
  static constexpr int kIntervalMs = 20;

  virtual ~WriteBehind() = default;
};

// Starts write-behind for `session`'s database file and WAL. Null when
// there is nothing to do: a PostgreSQL session, a SQLite database without
// a file (":memory:", a temporary one), or a system without
// sync_file_range. Never fails otherwise: a file not found is looked for
// again at the next interval (the WAL may not exist yet), and a failed
// request is harmless (the fsync does the work).
std::unique_ptr<WriteBehind> StartWriteBehind(soci::session& session);

}  // namespace tether::db

#endif  // TETHER_SHARED_SQLITE_WRITE_BEHIND_H_
