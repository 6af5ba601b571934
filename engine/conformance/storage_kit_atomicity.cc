// The storage kit's atomicity checks: a writer dropped, two racing, one
// killed in a process of its own, one of a fenced epoch (storage_kit.h).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "engine/common/sha256.h"
#include "engine/conformance/storage_kit_checks.h"

extern char** environ;

namespace tether::conformance::storage_checks {

void StorageKit::CheckRollback(const ProjectRef& project, const CommitId& expected_cursor, const Rows&) {
  CommitId cursor;
  Rows rows;
  if (!ReadState(project, &cursor, &rows).ok()) return;
  if (cursor != expected_cursor) return;  // an earlier write went wrong, and says so
  {
    Result<std::unique_ptr<StorageWriter>> writer = Begin(project, cursor);
    if (!writer.ok()) {
      log_->Broken(kRollback, "BeginWrite(\"" + cursor + "\") at the project's cursor gave " + Described(writer.status()));
      return;
    }
    const Rows more = FirstRows("rolled back");
    int n = 0;
    for (const auto& [path, row] : more) {
      Change change;
      change.entry = row.entry;
      change.entry.path = "rollback/" + path;
      if (!Apply(writer->get(), change, &row.document, Commit("rollback")).ok() || ++n == 40) break;
    }
    Change remove;
    remove.kind = ChangeKind::kDeleted;
    remove.entry = rows.begin()->second.entry;
    (void)Apply(writer->get(), remove, nullptr, Commit("rollback"));
  }  // dropped without Commit
  std::string why;
  if (!Holds(project, cursor, rows, &why)) {
    log_->Broken(kRollback, "after a writer was dropped without Commit (40 adds and a delete applied): " + why);
  } else {
    log_->Held(kRollback);
  }
}

void StorageKit::CheckConflict(const ProjectRef& project, CommitId* cursor_io, Rows* rows_io) {
  const CommitId cursor = *cursor_io;
  const Rows rows = *rows_io;
  // A writer that expects a cursor the project does not have.
  const CommitId stale = Commit("stale");
  Result<std::unique_ptr<StorageWriter>> writer = Begin(project, stale);
  Status status = writer.status();
  if (writer.ok()) {
    const Row row = MakeRow("conflict.txt", "never visible\n");
    Change change;
    change.entry = row.entry;
    status = Apply(writer->get(), change, &row.document, Commit("conflict"));
    if (status.ok()) status = CommitWriter(writer->get(), Commit("conflict"));
  }
  std::string why;
  if (status.code() != StatusCode::kConflict) {
    log_->Broken(kConflict, "a write expecting the cursor \"" + stale + "\" of a project at \"" + cursor +
                                "\" gave " + Described(status) + "; expected Conflict at BeginWrite or Commit");
  } else if (!Holds(project, cursor, rows, &why)) {
    log_->Broken(kConflict, "after a write refused with Conflict: " + why);
  } else {
    log_->Held(kConflict);
  }
  // Two writers from the same cursor, the second begun while the first is
  // open (on a database with one write lock, its BeginWrite waits): the
  // first commits, the second is refused at BeginWrite or Commit.
  Result<std::unique_ptr<StorageWriter>> first = Begin(project, cursor);
  if (!first.ok()) return;
  const Row row = MakeRow("second-writer.txt", "from the first of two writers\n");
  Change change;
  change.entry = row.entry;
  std::atomic<bool> first_done{false};
  Status second_status;
  std::thread second_writer([&] {
    Result<std::unique_ptr<StorageWriter>> second = Begin(project, cursor);
    while (!first_done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    second_status = second.ok() ? CommitWriter(second->get(), Commit("second")) : second.status();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Status first_status = Apply(first->get(), change, &row.document, Commit("first"));
  if (first_status.ok()) first_status = CommitWriter(first->get(), Commit("first"));
  first->reset();
  first_done = true;
  second_writer.join();
  if (!first_status.ok()) {
    log_->Broken(kConflict, "the first of two writers from one cursor gave " + Described(first_status));
    return;
  }
  Rows with = rows;
  with["second-writer.txt"] = row;
  *cursor_io = Commit("first");
  *rows_io = with;
  if (second_status.code() != StatusCode::kConflict) {
    log_->Broken(kConflict, "the second of two writers from \"" + cursor + "\", committing after the first, gave " +
                                Described(second_status) + "; expected Conflict");
  } else if (!Holds(project, *cursor_io, *rows_io, &why)) {
    log_->Broken(kConflict, "after the second of two writers from one cursor was refused: " + why);
  } else {
    log_->Held(kConflict);
  }
}

void StorageKit::CheckKilled(const ProjectRef& project, CommitId* cursor_io, Rows* rows_io) {
  const CommitId cursor = *cursor_io;
  const Rows rows = *rows_io;
  if (options_.child_command.empty()) {
    log_->Skip(kKilled, "no command to run a writer in a process of its own");
    return;
  }
  std::vector<std::string> args = options_.child_command;
  args.push_back("--hold-write");
  args.push_back(std::to_string(project.id) + ":" + project.tenant);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) {
    log_->Broken(kKilled, "cannot make a pipe for the writer's process");
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> environment = options_.child_environment;
  std::vector<char*> envp;
  for (std::string& variable : environment) envp.push_back(variable.data());
  for (char** variable = environ; *variable != nullptr; ++variable) envp.push_back(*variable);
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    log_->Broken(kKilled, std::string("cannot run the writer's process ") + argv[0]);
    return;
  }
  std::string said;
  char buffer[256];
  for (ssize_t n; said.find("applied") == std::string::npos && (n = ::read(out[0], buffer, sizeof(buffer))) > 0;) {
    said.append(buffer, static_cast<size_t>(n));
  }
  ::kill(pid, SIGKILL);
  int wait_status = 0;
  ::waitpid(pid, &wait_status, 0);
  ::close(out[0]);
  if (said.find("applied") == std::string::npos) {
    log_->Broken(kKilled, "the writer's process ended before it applied its changes: " + said);
    return;
  }
  std::string why;
  if (!Holds(project, cursor, rows, &why)) {
    log_->Broken(kKilled, "after a process was killed inside its write: " + why);
    return;
  }
  Rows with = rows;
  const Row row = MakeRow("after-the-kill.txt", "written after the kill\n");
  with[row.entry.path] = row;
  const Status next = WriteAll(project, cursor, Commit("after kill"), Rows{{row.entry.path, row}});
  if (!next.ok()) {
    log_->Broken(kKilled, "the next write after a process was killed inside its write gave " + Described(next));
    return;
  }
  *cursor_io = Commit("after kill");
  *rows_io = with;
  if (!Holds(project, *cursor_io, *rows_io, &why)) {
    log_->Broken(kKilled, "after the next write: " + why);
  } else {
    log_->Held(kKilled);
  }
}

void StorageKit::CheckFence(const ProjectRef& project, CommitId* cursor_io, Rows* rows_io) {
  const CommitId cursor = *cursor_io;
  const Rows rows = *rows_io;
  if (!options_.fences) {
    log_->Skip(kFence, "the storage is built for an SDK before 3.4, without fencing");
    return;
  }
  // A write of epoch 5 in progress while Fence(6) runs on another thread.
  // Fence may wait for it (SQLite has one write lock) or not; either way
  // the write commits only if Fence had not returned yet.
  Result<std::unique_ptr<StorageWriter>> writer =
      Guard("BeginFencedWrite", [&] { return storage_->BeginFencedWrite(project, cursor, 5); });
  if (!writer.ok()) {
    log_->Broken(kFence, "BeginFencedWrite at epoch 5 gave " + Described(writer.status()));
    return;
  }
  const Row row = MakeRow("fenced.txt", "written at epoch 5\n");
  Change change;
  change.entry = row.entry;
  Status status = Apply(writer->get(), change, &row.document, Commit("epoch 5"));
  std::atomic<bool> fence_returned{false};
  Status fenced;
  std::thread fencer([&] {
    fenced = Guard("Fence", [&] { return storage_->Fence(project, 6); });
    fence_returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const bool returned_before_commit = fence_returned;
  if (status.ok()) status = CommitWriter(writer->get(), Commit("epoch 5"));
  writer->reset();
  fencer.join();
  std::string why;
  Rows with = rows;
  with[row.entry.path] = row;
  if (!fenced.ok()) {
    log_->Broken(kFence, "Fence(6) while a write of epoch 5 was open gave " + Described(fenced));
    return;
  }
  if (status.ok() && returned_before_commit) {
    log_->Broken(kFence, "a write begun at epoch 5 committed after Fence(6) had returned; expected Conflict");
    *cursor_io = Commit("epoch 5");
    *rows_io = with;
    return;
  }
  if (!status.ok() && status.code() != StatusCode::kConflict) {
    log_->Broken(kFence, "the Commit of a write of epoch 5, Fence(6) running, gave " + Described(status) +
                             "; expected OK (before the fence) or Conflict");
    return;
  }
  const CommitId now = status.ok() ? Commit("epoch 5") : cursor;
  if (!Holds(project, now, status.ok() ? with : rows, &why)) {
    log_->Broken(kFence, std::string("after a write of epoch 5 ") + (status.ok() ? "committed" : "refused") +
                             " while Fence(6) ran: " + why);
    return;
  }
  *cursor_io = now;
  if (status.ok()) *rows_io = with;
  log_->Held(kFence);

  // After the fence, a write of epoch 5 never commits; an older Fence
  // changes nothing; a write of epoch 6 commits.
  Result<std::unique_ptr<StorageWriter>> late =
      Guard("BeginFencedWrite", [&] { return storage_->BeginFencedWrite(project, *cursor_io, 5); });
  Status late_status = late.status();
  if (late.ok()) late_status = CommitWriter(late->get(), Commit("late epoch 5"));
  if (late.ok()) late->reset();
  if (late_status.code() != StatusCode::kConflict) {
    log_->Broken(kFence, "a write of epoch 5 begun after Fence(6) gave " + Described(late_status) + " at Commit; expected Conflict");
    return;
  }
  (void)Guard("Fence", [&] { return storage_->Fence(project, 4); });
  Result<std::unique_ptr<StorageWriter>> newest =
      Guard("BeginFencedWrite", [&] { return storage_->BeginFencedWrite(project, *cursor_io, 6); });
  Status newest_status = newest.status();
  if (newest.ok()) newest_status = CommitWriter(newest->get(), Commit("epoch 6"));
  if (!newest_status.ok()) {
    log_->Broken(kFence, "a write of epoch 6 after Fence(6) and Fence(4) gave " + Described(newest_status));
    return;
  }
  *cursor_io = Commit("epoch 6");
  if (!Holds(project, *cursor_io, *rows_io, &why)) {
    log_->Broken(kFence, "after a write of the fenced epoch: " + why);
  } else {
    log_->Held(kFence);
  }
}

}  // namespace tether::conformance::storage_checks
