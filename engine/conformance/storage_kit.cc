#include "engine/conformance/storage_kit.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "engine/common/sha256.h"
#include "engine/conformance/storage_kit_checks.h"

namespace tether::conformance {

namespace storage_checks {

std::string Commit(const std::string& name) { return "kit-" + Sha256Hex(name).substr(0, 32); }

Row MakeRow(const std::string& path, const std::string& content, EntryKind kind, bool binary) {
  Row row;
  row.entry.path = path;
  row.entry.kind = kind;
  row.entry.mode = kind == EntryKind::kExecutable ? 0100755 : kind == EntryKind::kSymlink ? 0120000 : 0100644;
  row.entry.blob_id = "kit-" + Sha256Hex(content).substr(0, 40);
  row.document.size = content.size();
  row.document.is_binary = binary;
  row.document.has_content = !binary;
  if (!binary) row.document.content = content;
  row.document.language = path.size() > 3 && path.compare(path.size() - 3, 3, ".py") == 0 ? "python" : "";
  return row;
}

// The first tree: files under three folders whose names sort around each
// other ("dir-a", "dir-a.b", "dir-a0"), an executable, a symlink, binary
// rows, multibyte names.
Rows FirstRows(const std::string& salt) {
  Rows rows;
  const char* dirs[] = {"dir-a/", "dir-a.b/", "dir-a0/", "src/deep/er/", ""};
  for (int i = 0; i < kDocuments; ++i) {
    const std::string path = std::string(dirs[i % 5]) + "file-" + std::to_string(i) + (i % 3 == 0 ? ".py" : ".txt");
    rows[path] = MakeRow(path, salt + " content of " + path + "\n");
  }
  rows["bin/run.sh"] = MakeRow("bin/run.sh", "#!/bin/sh\n", EntryKind::kExecutable);
  rows["link"] = MakeRow("link", "dir-a/file-0.py", EntryKind::kSymlink);
  rows["data/blob.bin"] = MakeRow("data/blob.bin", std::string("\x00\x01\x02 binary", 9), EntryKind::kFile, true);
  rows["names/\xc3\xa9t\xc3\xa9.txt"] = MakeRow("names/\xc3\xa9t\xc3\xa9.txt", salt + " \xe2\x9c\x93\n");
  // What a text format for bulk loads escapes (PostgreSQL's COPY: \ \t \n
  // \r, and \N and \. at the start of a line), as content.
  rows["text/escapes.txt"] =
      MakeRow("text/escapes.txt", salt + "\ttab\r\nback\\slash\n\\N\n\\.\n\\\\\t\r\\");
  rows["to-rename.txt"] = MakeRow("to-rename.txt", salt + " moves\n");
  rows["to-delete.txt"] = MakeRow("to-delete.txt", salt + " goes\n");
  rows["to-modify.txt"] = MakeRow("to-modify.txt", salt + " before\n");
  return rows;
}

// A few rows, for the checks that write on a project of their own.
Rows SmallRows(const std::string& salt) {
  Rows rows;
  for (int i = 0; i < 10; ++i) {
    const std::string path = "small/file-" + std::to_string(i) + ".txt";
    rows[path] = MakeRow(path, salt + " small " + std::to_string(i) + "\n");
  }
  return rows;
}

std::string Described(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

Status StorageKit::WriteAll(const ProjectRef& project, const CommitId& from, const CommitId& to, const Rows& rows) {
  Result<std::unique_ptr<StorageWriter>> writer = Begin(project, from);
  if (!writer.ok()) return writer.status();
  for (const auto& [path, row] : rows) {
    Change change;
    change.entry = row.entry;
    TETHER_RETURN_IF_ERROR(Apply(writer->get(), change, &row.document, to));
  }
  return CommitWriter(writer->get(), to);
}

bool StorageKit::Holds(const ProjectRef& project, const CommitId& cursor, const Rows& rows, std::string* why) {
  Result<CommitId> stored = Cursor(project);
  if (!stored.ok() || *stored != cursor) {
    *why = "ReadCursor gave " + (stored.ok() ? "\"" + *stored + "\"" : Described(stored.status())) + ", expected \"" +
           cursor + "\"";
    return false;
  }
  Result<StorageCounts> counts = Guard("Counts", [&] { return storage_->Counts(project); });
  if (!counts.ok() || counts->documents != static_cast<int64_t>(rows.size())) {
    *why = "Counts gave " + (counts.ok() ? std::to_string(counts->documents) + " documents" : Described(counts.status())) +
           ", expected " + std::to_string(rows.size());
    return false;
  }
  for (const auto& [path, row] : rows) {
    Result<StoredDocument> doc = Guard("GetDocument", [&] { return storage_->GetDocument(project, path); });
    if (!doc.ok()) {
      *why = "GetDocument(" + ShownPath(path) + ") gave " + Described(doc.status());
      return false;
    }
    if (doc->entry.blob_id != row.entry.blob_id || doc->entry.mode != row.entry.mode ||
        doc->entry.kind != row.entry.kind || doc->has_content != row.document.has_content ||
        doc->content != row.document.content || doc->size != row.document.size ||
        doc->is_binary != row.document.is_binary || doc->language != row.document.language) {
      *why = "GetDocument(" + ShownPath(path) + ") gave blob " + doc->entry.blob_id + " mode " +
             std::to_string(doc->entry.mode) + ", " + std::to_string(doc->content.size()) + " bytes of content (" +
             (doc->has_content ? "with" : "without") + " content, language \"" + doc->language +
             "\"); the write was blob " + row.entry.blob_id + " mode " + std::to_string(row.entry.mode) + ", " +
             std::to_string(row.document.content.size()) + " bytes, language \"" + row.document.language + "\"";
      return false;
    }
  }
  return true;
}

Status StorageKit::ReadState(const ProjectRef& project, CommitId* cursor, Rows* rows) {
  Result<CommitId> stored = Cursor(project);
  if (!stored.ok()) return stored.status();
  *cursor = *stored;
  rows->clear();
  DocumentQuery query;
  query.limit = 1000;
  for (int pages = 0;; ++pages) {
    if (pages == 1000) return Status::Internal("ListDocuments gave a 1000th page of 1000 documents");
    Result<DocumentPage> page = Guard("ListDocuments", [&] { return storage_->ListDocuments(project, query); });
    if (!page.ok()) return page.status();
    for (const StoredDocument& listed : page->documents) {
      Result<StoredDocument> doc = Guard("GetDocument", [&] { return storage_->GetDocument(project, listed.entry.path); });
      if (!doc.ok()) return doc.status();
      Row& row = (*rows)[doc->entry.path];
      row.entry = doc->entry;
      row.document.size = doc->size;
      row.document.is_binary = doc->is_binary;
      row.document.has_content = doc->has_content;
      row.document.content = doc->content;
      row.document.language = doc->language;
    }
    if (!page->more || page->documents.empty()) return Status::Ok();
    query.after = page->documents.back().entry.path;
  }
}

void StorageKit::CheckEmpty(const ProjectRef& project) {
  std::string why;
  if (!Holds(project, "", {}, &why)) {
    log_->Broken(kEmpty, "a project the storage holds nothing for: " + why);
    return;
  }
  Result<StoredDocument> doc = Guard("GetDocument", [&] { return storage_->GetDocument(project, "README.md"); });
  Result<DocumentPage> page = Guard("ListDocuments", [&] { return storage_->ListDocuments(project, DocumentQuery{}); });
  if (doc.status().code() != StatusCode::kNotFound) {
    log_->Broken(kEmpty, "GetDocument(README.md) of a project with nothing stored gave " + Described(doc.status()) +
                             "; expected NotFound");
  } else if (!page.ok() || !page->documents.empty() || page->more) {
    log_->Broken(kEmpty, "ListDocuments of a project with nothing stored gave " +
                             (page.ok() ? std::to_string(page->documents.size()) + " documents" : Described(page.status())));
  } else {
    log_->Held(kEmpty);
  }
}

class CollectEntries : public EntrySink {
 public:
  Status OnEntry(const Entry& entry) override {
    entries.push_back(entry);
    return Status::Ok();
  }
  std::vector<Entry> entries;
};

void StorageKit::CheckDocuments(const ProjectRef& project, const CommitId& cursor, const Rows& rows) {
  std::string why;
  if (!Holds(project, cursor, rows, &why)) {
    log_->Broken(kCommit, "after a committed write of " + std::to_string(rows.size()) + " documents: " + why);
  } else {
    log_->Held(kCommit);
  }

  CollectEntries sink;
  const Status listed = Guard("ListEntries", [&] { return storage_->ListEntries(project, &sink); });
  std::map<std::string, Entry> got;
  for (const Entry& entry : sink.entries) got.emplace(entry.path, entry);
  bool same = listed.ok() && got.size() == sink.entries.size() && got.size() == rows.size();
  for (const auto& [path, row] : rows) {
    auto found = got.find(path);
    same = same && found != got.end() && found->second.blob_id == row.entry.blob_id &&
           found->second.mode == row.entry.mode && found->second.kind == row.entry.kind;
  }
  if (!same) {
    log_->Broken(kEntries, "ListEntries gave " + (listed.ok() ? std::to_string(sink.entries.size()) + " entries" : Described(listed)) +
                               " that are not the " + std::to_string(rows.size()) + " written (path, blob, mode, kind)");
  } else {
    log_->Held(kEntries);
  }

  StorageCounts want;
  want.documents = static_cast<int64_t>(rows.size());
  for (const auto& [path, row] : rows) {
    want.with_content += row.document.has_content ? 1 : 0;
    want.binary += row.document.is_binary ? 1 : 0;
    want.total_bytes += static_cast<int64_t>(row.document.size);
  }
  Result<StorageCounts> counts = Guard("Counts", [&] { return storage_->Counts(project); });
  if (!counts.ok() || counts->documents != want.documents || counts->with_content != want.with_content ||
      counts->binary != want.binary || counts->total_bytes != want.total_bytes) {
    log_->Broken(kCounts, "Counts gave " +
                              (counts.ok() ? std::to_string(counts->documents) + " documents, " +
                                                 std::to_string(counts->with_content) + " with content, " +
                                                 std::to_string(counts->binary) + " binary, " +
                                                 std::to_string(counts->total_bytes) + " bytes"
                                           : Described(counts.status())) +
                              "; the write had " + std::to_string(want.documents) + ", " +
                              std::to_string(want.with_content) + ", " + std::to_string(want.binary) + ", " +
                              std::to_string(want.total_bytes));
  } else {
    log_->Held(kCounts);
  }
}

void StorageKit::CheckPages(const ProjectRef& project, const Rows& rows) {
  for (const std::string prefix : {"", "dir-a/", "dir-a", "src/deep/", "nothing/"}) {
    std::vector<std::string> want;
    for (const auto& [path, row] : rows) {
      if (path.compare(0, prefix.size(), prefix) == 0) want.push_back(path);
    }
    for (int limit : {1, 7, 1000}) {
      std::vector<std::string> got;
      DocumentQuery query;
      query.path_prefix = prefix;
      query.limit = limit;
      for (int pages = 0; pages < 1000; ++pages) {
        Result<DocumentPage> page = Guard("ListDocuments", [&] { return storage_->ListDocuments(project, query); });
        if (!page.ok()) {
          log_->Broken(kPages, "ListDocuments(prefix \"" + prefix + "\", after \"" + ShownPath(query.after) +
                                   "\", limit " + std::to_string(limit) + ") gave " + Described(page.status()));
          return;
        }
        if (static_cast<int>(page->documents.size()) > limit) {
          log_->Broken(kPages, "ListDocuments with limit " + std::to_string(limit) + " gave " +
                                   std::to_string(page->documents.size()) + " documents");
          return;
        }
        for (const StoredDocument& doc : page->documents) {
          got.push_back(doc.entry.path);
          if (!doc.content.empty()) {
            log_->Broken(kPages, "ListDocuments gave the content of " + ShownPath(doc.entry.path) + "; it never does");
            return;
          }
        }
        if (!page->more) break;
        if (page->documents.empty()) {
          log_->Broken(kPages, "ListDocuments said more documents match after an empty page");
          return;
        }
        query.after = page->documents.back().entry.path;
      }
      if (got != want) {
        std::string first_difference;
        for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
          if (i >= got.size() || i >= want.size() || got[i] != want[i]) {
            first_difference = "at position " + std::to_string(i + 1) + ": " +
                               (i < got.size() ? "\"" + ShownPath(got[i]) + "\"" : std::string("nothing")) +
                               ", expected " + (i < want.size() ? "\"" + ShownPath(want[i]) + "\"" : std::string("nothing"));
            break;
          }
        }
        log_->Broken(kPages, "paging ListDocuments(prefix \"" + prefix + "\", limit " + std::to_string(limit) +
                                 ") gave " + std::to_string(got.size()) + " paths, expected " +
                                 std::to_string(want.size()) + " in byte order; " + first_difference);
        return;
      }
    }
  }
  log_->Held(kPages);
}

Status StorageKit::CheckChanges(const ProjectRef& project, CommitId* cursor, Rows* rows) {
  const CommitId next = Commit("changes");
  Result<std::unique_ptr<StorageWriter>> writer = Begin(project, *cursor);
  if (!writer.ok()) return writer.status();
  Rows after = *rows;
  std::vector<std::pair<Change, const Document*>> changes;
  Row modified = MakeRow("to-modify.txt", "after\n");
  after["to-modify.txt"] = modified;
  Change modify;
  modify.kind = ChangeKind::kModified;
  modify.entry = modified.entry;
  Change remove;
  remove.kind = ChangeKind::kDeleted;
  remove.entry = (*rows)["to-delete.txt"].entry;
  after.erase("to-delete.txt");
  Row renamed = (*rows)["to-rename.txt"];
  renamed.entry.path = "moved/renamed.sh";
  renamed.entry.kind = EntryKind::kExecutable;
  renamed.entry.mode = 0100755;
  after.erase("to-rename.txt");
  after["moved/renamed.sh"] = renamed;
  Change rename;
  rename.kind = ChangeKind::kRenamed;
  rename.entry = renamed.entry;
  rename.old_path = "to-rename.txt";
  Row added = MakeRow("added.py", "print('added')\n");
  after["added.py"] = added;
  Change add;
  add.entry = added.entry;
  for (const auto& [change, document] : std::vector<std::pair<Change, const Document*>>{
           {modify, &modified.document}, {remove, nullptr}, {rename, &renamed.document}, {add, &added.document}}) {
    TETHER_RETURN_IF_ERROR(Apply(writer->get(), change, document, next));
  }
  TETHER_RETURN_IF_ERROR(CommitWriter(writer->get(), next));
  std::string why;
  Result<StoredDocument> gone = Guard("GetDocument", [&] { return storage_->GetDocument(project, "to-rename.txt"); });
  Result<StoredDocument> moved = Guard("GetDocument", [&] { return storage_->GetDocument(project, "moved/renamed.sh"); });
  if (!Holds(project, next, after, &why)) {
    log_->Broken(kChanges, "after a write that modified, deleted, renamed (to an executable) and added: " + why);
  } else if (gone.status().code() != StatusCode::kNotFound) {
    log_->Broken(kChanges, "GetDocument of a renamed document's old path gave " + Described(gone.status()));
  } else if (!moved.ok() || moved->updated_commit != next) {
    log_->Broken(kChanges, "GetDocument of a renamed document gave updated_commit \"" +
                               (moved.ok() ? moved->updated_commit : Described(moved.status())) + "\", expected " + next);
  } else {
    log_->Held(kChanges);
  }
  *cursor = next;
  *rows = std::move(after);
  return Status::Ok();
}

Status StorageKit::Run() {
  if (options_.projects.size() < kProjects) return Status::Internal("the storage kit needs kProjects projects");
  const ProjectRef& a = options_.projects[0];
  CheckEmpty(a);

  Rows rows = FirstRows("project a");
  CommitId cursor = Commit("first");
  TETHER_RETURN_IF_ERROR(WriteAll(a, "", cursor, rows).WithContext("the first write"));
  CheckDocuments(a, cursor, rows);
  CheckPages(a, rows);
  TETHER_RETURN_IF_ERROR(CheckChanges(a, &cursor, &rows));
  CheckRollback(a, cursor, rows);
  CheckAnalysis(options_.projects[7]);
  CheckTextSearch(options_.projects[8]);
  CheckOutputs(options_.projects[9], options_.projects[8]);
  CheckTenants(options_.projects[10], options_.projects[11], options_.other_tenant);
  CheckVectors(options_.projects[0].tenant, options_.other_tenant.tenant);

  // Each check that writes on a project of its own, from a small first
  // write, so that one broken contract does not fail the others.
  using Check = void (StorageKit::*)(const ProjectRef&, CommitId*, Rows*);
  const std::pair<int, Check> own[] = {{1, &StorageKit::CheckKilled}, {2, &StorageKit::CheckFence},
                                       {3, &StorageKit::CheckConflict}};
  for (const auto& [index, check] : own) {
    const ProjectRef& project = options_.projects[index];
    Rows small = SmallRows("project " + std::to_string(index));
    CommitId first = Commit("small " + std::to_string(index));
    TETHER_RETURN_IF_ERROR(WriteAll(project, "", first, small).WithContext("a first write"));
    (this->*check)(project, &first, &small);
  }

  // Three more projects, written at once, with the same paths as a's: each
  // writer begins, waits (up to 2 s, for a storage that lets one writer in
  // at a time) until all three have begun, and only then writes, so the
  // writes overlap however the threads are scheduled.
  TETHER_RETURN_IF_ERROR(ReadState(a, &cursor, &rows));
  std::vector<Status> written(3);
  std::vector<std::thread> writers;
  std::mutex begun_mutex;
  std::condition_variable all_begun;
  int begun = 0;
  for (int i = 0; i < 3; ++i) {
    writers.emplace_back([&, i] {
      const ProjectRef& project = options_.projects[4 + i];
      const CommitId to = Commit("other " + std::to_string(i));
      Result<std::unique_ptr<StorageWriter>> writer = Begin(project, "");
      {
        std::unique_lock<std::mutex> lock(begun_mutex);
        ++begun;
        all_begun.notify_all();
        all_begun.wait_for(lock, std::chrono::seconds(2), [&] { return begun == 3; });
      }
      if (!writer.ok()) {
        written[i] = writer.status();
        return;
      }
      for (const auto& [path, row] : FirstRows("project " + std::to_string(i))) {
        Change change;
        change.entry = row.entry;
        written[i] = Apply(writer->get(), change, &row.document, to);
        if (!written[i].ok()) return;
      }
      written[i] = CommitWriter(writer->get(), to);
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::string why;
  bool all_written = true;
  for (int i = 0; i < 3; ++i) {
    const ProjectRef& project = options_.projects[4 + i];
    if (!written[i].ok()) {
      log_->Broken(kConcurrent, "a first write of project " + std::to_string(project.id) +
                                    " while two others wrote at once gave " + Described(written[i]));
      all_written = false;
    } else if (!Holds(project, Commit("other " + std::to_string(i)), FirstRows("project " + std::to_string(i)), &why)) {
      log_->Broken(kApart, "project " + std::to_string(project.id) + " after writes of others: " + why);
    }
  }
  if (all_written) log_->Held(kConcurrent);
  if (!Holds(a, cursor, rows, &why)) {
    log_->Broken(kApart, "project " + std::to_string(a.id) + " after three others wrote the same paths: " + why);
  } else {
    log_->Held(kApart);
  }

  // DeleteProject forgets one project, and only it.
  const ProjectRef& b = options_.projects[4];
  const Status deleted = Guard("DeleteProject", [&] { return storage_->DeleteProject(b); });
  const Status again = Guard("DeleteProject", [&] { return storage_->DeleteProject(b); });
  if (!deleted.ok() || !again.ok()) {
    log_->Broken(kDelete, "DeleteProject gave " + Described(deleted.ok() ? again : deleted) +
                              (deleted.ok() ? " the second time" : ""));
  } else if (!Holds(b, "", {}, &why)) {
    log_->Broken(kDelete, "after DeleteProject: " + why);
  } else if (!Holds(a, cursor, rows, &why)) {
    log_->Broken(kDelete, "project " + std::to_string(a.id) + " after another project was deleted: " + why);
  } else {
    log_->Held(kDelete);
  }
  return Status::Ok();
}

const std::vector<std::pair<std::string, std::string>>& Contracts() {
  static const std::vector<std::pair<std::string, std::string>> kContracts = {
      {kEmpty, "A project the storage holds nothing for has no cursor, no documents and zero counts"},
      {kCommit, "A committed write is read back whole: cursor, blob, mode, kind, content, size, language"},
      {kEntries, "ListEntries gives every stored entry once"},
      {kCounts, "Counts agree with what was written"},
      {kPages, "ListDocuments pages in byte order of paths, filtered by prefix, never with content"},
      {kChanges, "Modified, deleted, renamed (taking the new mode) and added rows land as storage.h says"},
      {kRollback, "A writer dropped without Commit leaves nothing behind"},
      {kConflict, "A write whose cursor moved is refused with Conflict and leaves nothing behind"},
      {kKilled, "A process killed inside its write leaves nothing behind, and the next write commits"},
      {kFence, "After Fence, a write of an older epoch is refused with Conflict (SDK 3.4)"},
      {kAnalysis, "Analysis results are listed, kept by blob across a rename, and needed again for new bytes (SDK 3.2)"},
      {kOutputs, "Repository outputs: put, put again, removed, paged in byte order, the step's files kept, forgotten "
                 "with their project only (SDK 3.3)"},
      {kTextSearch, "SearchText finds literal text, by path and line, folding ASCII case unless asked, under a "
                    "prefix, within its limit, before and after IndexText (SDK 3.5, 3.8)"},
      {kTenants, "Analysis results are shared by one tenant's projects and never seen by another tenant's (SDK 3.2)"},
      {kVectors, "Vectors: the missing ones named in order, each stored once and never replaced, read back exactly, "
                 "a bad batch refused whole, tenants kept apart (SDK 3.5)"},
      {kConcurrent, "Writes of different projects at once all commit"},
      {kApart, "Projects stay apart: the same paths in another project change nothing"},
      {kDelete, "DeleteProject forgets one project, and only it, and may be called twice"},
      {kNoThrow, "No exception crosses the plugin boundary: every call returns"},
  };
  return kContracts;
}

}  // namespace storage_checks

const std::vector<std::pair<std::string, std::string>>& StorageContracts() { return storage_checks::Contracts(); }

Status CheckStorage(Storage* storage, const StorageKitOptions& options, Report* report) {
  ContractLog log(StorageContracts());
  storage_checks::StorageKit kit(storage, options, &log);
  const Status status = kit.Run();
  *report = log.Finish();
  return status;
}

Status HoldWriteForKit(Storage* storage, const ProjectRef& project) {
  Result<CommitId> cursor = storage->ReadCursor(project);
  if (!cursor.ok()) return cursor.status();
  Result<std::unique_ptr<StorageWriter>> writer = storage->BeginWrite(project, *cursor);
  if (!writer.ok()) return writer.status();
  for (const auto& [path, row] : storage_checks::FirstRows("killed")) {
    Change change;
    change.entry = row.entry;
    change.entry.path = "killed/" + path;
    TETHER_RETURN_IF_ERROR((*writer)->Apply(change, &row.document, storage_checks::Commit("killed")));
  }
  std::printf("applied\n");
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
}

}  // namespace tether::conformance

