#include "engine/conformance/storage_kit.h"

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

extern char** environ;

namespace tether::conformance {

namespace {

constexpr char kEmpty[] = "empty";
constexpr char kCommit[] = "commit";
constexpr char kEntries[] = "entries";
constexpr char kCounts[] = "counts";
constexpr char kPages[] = "pages";
constexpr char kChanges[] = "changes";
constexpr char kRollback[] = "rollback";
constexpr char kConflict[] = "conflict";
constexpr char kKilled[] = "killed-writer";
constexpr char kApart[] = "projects-apart";
constexpr char kConcurrent[] = "concurrent-projects";
constexpr char kDelete[] = "delete-project";
constexpr char kFence[] = "fence";
constexpr char kAnalysis[] = "analysis";
constexpr char kTextSearch[] = "text-search";
constexpr char kOutputs[] = "outputs";
constexpr char kTenants[] = "tenants";
constexpr char kVectors[] = "vectors";
constexpr const char* kNoThrow = kNoThrowContract;

constexpr int kDocuments = 120;

// What the kit wrote and expects to read back at a path.
struct Row {
  Entry entry;
  Document document;
};
using Rows = std::map<std::string, Row>;  // by path

std::string Commit(const std::string& name) { return "kit-" + Sha256Hex(name).substr(0, 32); }

Row MakeRow(const std::string& path, const std::string& content, EntryKind kind = EntryKind::kFile,
            bool binary = false) {
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

class StorageKit {
 public:
  StorageKit(Storage* storage, const StorageKitOptions& options, ContractLog* log)
      : storage_(storage), options_(options), log_(log) {}

  Status Run();

 private:
  template <typename F>
  auto Guard(const std::string& call, F&& f) -> decltype(f()) {
    return Guarded(log_, call, std::forward<F>(f));
  }

  Result<CommitId> Cursor(const ProjectRef& project) {
    return Guard("ReadCursor", [&] { return storage_->ReadCursor(project); });
  }
  Result<std::unique_ptr<StorageWriter>> Begin(const ProjectRef& project, const CommitId& expected) {
    return Guard("BeginWrite(\"" + expected + "\")", [&] { return storage_->BeginWrite(project, expected); });
  }
  Status Apply(StorageWriter* writer, const Change& change, const Document* document, const CommitId& commit) {
    return Guard(std::string("Apply(") + ChangeKindName(change.kind) + " " + ShownPath(change.entry.path) + ")",
                 [&] { return writer->Apply(change, document, commit); });
  }
  Status CommitWriter(StorageWriter* writer, const CommitId& cursor) {
    return Guard("Commit(" + cursor + ")", [&] { return writer->Commit(cursor); });
  }
  // Adds every row of `rows` in one write from `from`, committed at `to`.
  Status WriteAll(const ProjectRef& project, const CommitId& from, const CommitId& to, const Rows& rows);

  // Whether the project holds exactly `rows` at `cursor`; the first
  // difference in *why.
  bool Holds(const ProjectRef& project, const CommitId& cursor, const Rows& rows, std::string* why);
  // What the project holds now, as read through the interface: for the
  // checks that something changed nothing, whatever the storage held.
  Status ReadState(const ProjectRef& project, CommitId* cursor, Rows* rows);
  void CheckEmpty(const ProjectRef& project);
  void CheckDocuments(const ProjectRef& project, const CommitId& cursor, const Rows& rows);
  void CheckPages(const ProjectRef& project, const Rows& rows);
  void CheckAnalysis(const ProjectRef& project);
  void CheckTextSearch(const ProjectRef& project);
  // `a` and `b` of one tenant; `other` of another one.
  void CheckTenants(const ProjectRef& a, const ProjectRef& b, const ProjectRef& other);
  void CheckVectors(const std::string& tenant, const std::string& other_tenant);
  // On `project`, with `other` holding outputs of its own that must stay.
  void CheckOutputs(const ProjectRef& project, const ProjectRef& other);
  void CheckRollback(const ProjectRef& project, const CommitId& cursor, const Rows& rows);
  // These three write, and leave *cursor and *rows as what they committed.
  void CheckConflict(const ProjectRef& project, CommitId* cursor, Rows* rows);
  void CheckKilled(const ProjectRef& project, CommitId* cursor, Rows* rows);
  void CheckFence(const ProjectRef& project, CommitId* cursor, Rows* rows);
  Status CheckChanges(const ProjectRef& project, CommitId* cursor, Rows* rows);

  Storage* storage_;
  const StorageKitOptions& options_;
  ContractLog* log_;
};

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

void StorageKit::CheckAnalysis(const ProjectRef& project) {
  if (!options_.keeps_analysis) {
    log_->Skip(kAnalysis, "the storage is built for an SDK before 3.2, without analysis results");
    return;
  }
  const AnalyzerKey key{"conformance-kit", "1", ""};
  Rows rows = SmallRows("analysis");
  if (!WriteAll(project, "", Commit("analysis 1"), rows).ok()) return;
  auto work = [&](std::vector<AnalysisWork>* all) -> Status {
    AnalysisWorkQuery query;
    query.limit = 3;
    for (int pages = 0;; ++pages) {
      if (pages == 100) {
        return Status::Internal("ListAnalysisWork gave a 100th page of 3 for 10 documents (does it skip what is "
                                "not after after_blob and after_language?)");
      }
      Result<AnalysisWorkPage> page =
          Guard("ListAnalysisWork", [&] { return storage_->ListAnalysisWork(project, key, query); });
      if (!page.ok()) return page.status();
      all->insert(all->end(), page->work.begin(), page->work.end());
      if (!page->more || page->work.empty()) return Status::Ok();
      query.after_blob = page->work.back().blob_id;
      query.after_language = page->work.back().language;
    }
  };
  std::vector<AnalysisWork> todo;
  Status status = work(&todo);
  if (!status.ok()) {
    log_->Broken(kAnalysis, "ListAnalysisWork (3 a page) of 10 new documents gave " + Described(status));
    return;
  }
  std::map<BlobId, const Row*> by_blob;
  for (const auto& [path, row] : rows) by_blob[row.entry.blob_id] = &row;
  if (todo.size() != by_blob.size()) {
    log_->Broken(kAnalysis, "ListAnalysisWork (3 a page) of 10 new documents gave " + std::to_string(todo.size()) +
                                " blobs to analyse, expected " + std::to_string(by_blob.size()));
    return;
  }
  for (const AnalysisWork& w : todo) {
    auto row = by_blob.find(w.blob_id);
    if (row == by_blob.end() || w.content != row->second->document.content) {
      log_->Broken(kAnalysis, "ListAnalysisWork gave blob " + w.blob_id + " with " + std::to_string(w.content.size()) +
                                  " bytes of content that no written document holds");
      return;
    }
  }
  status = Guard("MarkAnalysisStarted", [&] { return storage_->MarkAnalysisStarted(project, key, todo, "conformance-kit"); });
  std::vector<AnalysisResult> results;
  for (const AnalysisWork& w : todo) {
    AnalysisResult result;
    result.blob_id = w.blob_id;
    result.language = w.language;
    result.data = "{\"bytes\": " + std::to_string(w.content.size()) + "}";
    result.symbols.push_back(Symbol{"kit_symbol", "function", 1, 1, "", "", ""});
    results.push_back(result);
  }
  if (status.ok()) {
    status = Guard("PutAnalysisResults", [&] { return storage_->PutAnalysisResults(project, key, results); });
  }
  if (!status.ok()) {
    log_->Broken(kAnalysis, "marking and putting the results of 10 blobs gave " + Described(status));
    return;
  }
  // A rename keeps the result; a new blob at a path needs one again.
  Result<std::unique_ptr<StorageWriter>> writer = Begin(project, Commit("analysis 1"));
  if (!writer.ok()) return;
  const Row& moved_from = rows["small/file-0.txt"];
  Change rename;
  rename.kind = ChangeKind::kRenamed;
  rename.entry = moved_from.entry;
  rename.entry.path = "moved/file-0.txt";
  rename.old_path = "small/file-0.txt";
  const Row changed = MakeRow("small/file-1.txt", "new bytes for file 1\n");
  Change modify;
  modify.kind = ChangeKind::kModified;
  modify.entry = changed.entry;
  status = Apply(writer->get(), rename, &moved_from.document, Commit("analysis 2"));
  if (status.ok()) status = Apply(writer->get(), modify, &changed.document, Commit("analysis 2"));
  if (status.ok()) status = CommitWriter(writer->get(), Commit("analysis 2"));
  if (!status.ok()) return;
  Result<AnalysisResult> kept = Guard("GetAnalysis", [&] { return storage_->GetAnalysis(project, key, "moved/file-0.txt"); });
  Result<AnalysisResult> gone = Guard("GetAnalysis", [&] { return storage_->GetAnalysis(project, key, "small/file-0.txt"); });
  std::vector<AnalysisWork> again;
  status = work(&again);
  Result<AnalysisCounts> counts = Guard("CountAnalysis", [&] { return storage_->CountAnalysis(project, key); });
  const std::string want_data = "{\"bytes\": " + std::to_string(moved_from.document.content.size()) + "}";
  if (!kept.ok() || kept->outcome != AnalysisOutcome::kAnalyzed || kept->data != want_data || kept->symbols.size() != 1) {
    log_->Broken(kAnalysis, "GetAnalysis of a renamed document gave " +
                                (kept.ok() ? std::string(AnalysisOutcomeName(kept->outcome)) + " with data " + kept->data
                                           : Described(kept.status())) +
                                "; a rename keeps its blob's result (" + want_data + ", one symbol)");
  } else if (gone.status().code() != StatusCode::kNotFound) {
    log_->Broken(kAnalysis, "GetAnalysis of a renamed document's old path gave " + Described(gone.status()));
  } else if (!status.ok() || again.size() != 1 || again[0].blob_id != changed.entry.blob_id) {
    log_->Broken(kAnalysis, "after a rename and a modify, ListAnalysisWork gave " +
                                (status.ok() ? std::to_string(again.size()) + " blobs" : Described(status)) +
                                "; expected the modified file's new blob alone");
  } else if (!counts.ok() || counts->analyzed != 9 || counts->pending != 1) {
    log_->Broken(kAnalysis, "CountAnalysis after a rename and a modify gave " +
                                (counts.ok() ? std::to_string(counts->analyzed) + " analyzed, " +
                                                   std::to_string(counts->pending) + " pending"
                                             : Described(counts.status())) +
                                "; expected 9 analyzed, 1 pending");
  } else {
    log_->Held(kAnalysis);
  }
}

void StorageKit::CheckOutputs(const ProjectRef& project, const ProjectRef& other) {
  if (!options_.keeps_outputs) {
    log_->Skip(kOutputs, "the storage is built for an SDK before 3.3, without repository outputs");
    return;
  }
  const AnalyzerKey key{"conformance-step", "1", ""};
  auto output = [](std::string name, std::string content) { return RepositoryOutput{std::move(name), "k", std::move(content)}; };
  RepositoryCommit first;
  first.key = key;
  first.replace_all = true;
  for (int i = 0; i < 12; ++i) first.puts.push_back(output("pages/p" + std::to_string(i / 10) + std::to_string(i % 10), "page " + std::to_string(i)));
  first.puts.push_back(output("state", "{}"));
  first.changes.push_back(FileChange{FileChangeKind::kAdded, "src/a.c", "", "blob-a", "c"});
  first.changes.push_back(FileChange{FileChangeKind::kAdded, "src/b.c", "", "blob-b", "c"});
  Status status = Guard("CommitRepositoryStep", [&] { return storage_->CommitRepositoryStep(project, first); });
  RepositoryCommit theirs = first;
  theirs.puts = {output("pages/p00", "another project's page")};
  if (status.ok()) status = Guard("CommitRepositoryStep", [&] { return storage_->CommitRepositoryStep(other, theirs); });
  if (!status.ok()) {
    log_->Broken(kOutputs, "CommitRepositoryStep of a first run (13 outputs, 2 files) gave " + Described(status));
    return;
  }
  RepositoryCommit second;
  second.key = key;
  second.puts.push_back(output("pages/p03", "page 3, again"));
  second.removes.push_back("pages/p11");
  second.changes.push_back(FileChange{FileChangeKind::kModified, "src/a.c", "blob-a", "blob-a2", "c"});
  second.changes.push_back(FileChange{FileChangeKind::kDeleted, "src/b.c", "blob-b", "", "c"});
  status = Guard("CommitRepositoryStep", [&] { return storage_->CommitRepositoryStep(project, second); });
  if (!status.ok()) {
    log_->Broken(kOutputs, "CommitRepositoryStep of a second run gave " + Described(status));
    return;
  }
  // The outputs under "pages/", 5 a page, in byte order, with content.
  std::vector<std::string> got;
  RepositoryOutputQuery query;
  query.analyzer_id = key.id;
  query.prefix = "pages/";
  query.limit = 5;
  query.with_content = true;
  for (int pages = 0; pages < 100; ++pages) {
    Result<RepositoryOutputPage> page = Guard("ListRepositoryOutputs", [&] { return storage_->ListRepositoryOutputs(project, query); });
    if (!page.ok()) {
      log_->Broken(kOutputs, "ListRepositoryOutputs(prefix pages/, limit 5) gave " + Described(page.status()));
      return;
    }
    for (const StoredOutput& o : page->outputs) got.push_back(o.output.name + "=" + o.output.content);
    if (!page->more || page->outputs.empty()) break;
    query.after = page->outputs.back().output.name;
  }
  std::vector<std::string> want;
  for (int i = 0; i < 11; ++i) {
    want.push_back("pages/p" + std::to_string(i / 10) + std::to_string(i % 10) + "=" + (i == 3 ? "page 3, again" : "page " + std::to_string(i)));
  }
  Result<RepositorySnapshot> snapshot = Guard("ReadRepositorySnapshot", [&] { return storage_->ReadRepositorySnapshot(project, key.id); });
  Result<StoredOutput> state = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(project, key.id, "state"); });
  Result<StoredOutput> removed = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(project, key.id, "pages/p11"); });
  if (got != want) {
    std::string listed;
    for (const std::string& g : got) listed += (listed.empty() ? "" : ", ") + g;
    log_->Broken(kOutputs, "after two runs (one put again, one removed), paging ListRepositoryOutputs(prefix pages/, 5 a page) gave [" +
                               listed + "]; expected pages/p00 to pages/p10 in byte order, p03 put again");
  } else if (!snapshot.ok() || snapshot->key.id != key.id || snapshot->files.size() != 1 ||
             snapshot->files[0].path != "src/a.c" || snapshot->files[0].blob_id != "blob-a2") {
    log_->Broken(kOutputs, "ReadRepositorySnapshot after an add of two files, then a modify and a delete, gave " +
                               (snapshot.ok() ? std::to_string(snapshot->files.size()) + " files" : Described(snapshot.status())) +
                               "; expected src/a.c at blob-a2 alone");
  } else if (!state.ok() || state->output.content != "{}") {
    log_->Broken(kOutputs, "GetRepositoryOutput(state) gave " + (state.ok() ? state->output.content : Described(state.status())));
  } else if (removed.status().code() != StatusCode::kNotFound) {
    log_->Broken(kOutputs, "GetRepositoryOutput of a removed output gave " + Described(removed.status()) + "; expected NotFound");
  } else {
    // What the first project holds (documents) must stay too.
    const ProjectRef& first = options_.projects[0];
    CommitId first_cursor;
    Rows first_rows;
    const Status read = ReadState(first, &first_cursor, &first_rows);
    const Status deleted = Guard("DeleteProject", [&] { return storage_->DeleteProject(project); });
    std::string why;
    if (read.ok() && deleted.ok() && !Holds(first, first_cursor, first_rows, &why)) {
      log_->Broken(kDelete, "project " + std::to_string(first.id) + " after project " + std::to_string(project.id) +
                                " was deleted: " + why);
    }
    Result<StoredOutput> gone = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(project, key.id, "state"); });
    Result<StoredOutput> kept = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(other, key.id, "pages/p00"); });
    if (!deleted.ok() || gone.status().code() != StatusCode::kNotFound) {
      log_->Broken(kOutputs, "after DeleteProject, GetRepositoryOutput(state) gave " +
                                 (deleted.ok() ? Described(gone.status()) : "nothing: DeleteProject gave " + Described(deleted)) +
                                 "; a project's outputs go with it");
    } else if (!kept.ok() || kept->output.content != "another project's page") {
      log_->Broken(kOutputs, "another project's output after DeleteProject gave " +
                                 (kept.ok() ? kept->output.content : Described(kept.status())));
    } else {
      log_->Held(kOutputs);
    }
  }
}

// One search and the hits it must give, each "path:line:matches:snippet".
struct TextCase {
  TextQuery query;
  std::vector<std::string> hits;
  bool more = false;
};

std::string HitText(const TextHit& hit) {
  return hit.path + ":" + std::to_string(hit.start_line) + ":" + std::to_string(hit.matches) + ":" + hit.snippet;
}

void StorageKit::CheckTextSearch(const ProjectRef& project) {
  if (!options_.searches_text) {
    log_->Skip(kTextSearch, "the storage is built for an SDK before 3.5, without SearchText");
    return;
  }
  Rows rows;
  for (const auto& [path, text] : std::vector<std::pair<std::string, std::string>>{
           {"a/one.txt", "alpha needle beta\nsecond line\nNEEDLE upper\n"},
           {"a/two.py", "no match here\n100% literal al_un\n"},
           {"b/three.md", "needle and needle on one line\n"},
           {"c/decoy.txt", "alkun and 100 literal, nothing else\n"}}) {
    rows[path] = MakeRow(path, text);
  }
  rows["b/bin.dat"] = MakeRow("b/bin.dat", std::string("needle\0binary", 13), EntryKind::kFile, true);
  const CommitId cursor = Commit("text search");
  if (!WriteAll(project, "", cursor, rows).ok()) return;
  auto query = [](std::string text, bool case_sensitive, std::string prefix, int limit) {
    TextQuery q;
    q.text = std::move(text);
    q.case_sensitive = case_sensitive;
    q.path_prefix = std::move(prefix);
    q.limit = limit;
    return q;
  };
  const std::vector<TextCase> cases = {
      {query("needle", false, "", 50),
       {"a/one.txt:1:1:alpha needle beta", "a/one.txt:3:1:NEEDLE upper", "b/three.md:1:2:needle and needle on one line"}},
      {query("needle", true, "", 50), {"a/one.txt:1:1:alpha needle beta", "b/three.md:1:2:needle and needle on one line"}},
      {query("al_un", false, "", 50), {"a/two.py:2:1:100% literal al_un"}},
      {query("0% l", false, "", 50), {"a/two.py:2:1:100% literal al_un"}},
      {query("needle", false, "b/", 50), {"b/three.md:1:2:needle and needle on one line"}},
      {query("needle", false, "", 1), {"a/one.txt:1:1:alpha needle beta"}, true},
  };
  auto run = [&](const char* when) -> bool {
    for (const TextCase& c : cases) {
      const std::string call = "SearchText(\"" + c.query.text + "\"" + (c.query.case_sensitive ? ", case-sensitive" : "") +
                               (c.query.path_prefix.empty() ? "" : ", under " + c.query.path_prefix) + ", limit " +
                               std::to_string(c.query.limit) + ") " + when;
      Result<TextPage> page = Guard("SearchText", [&] { return storage_->SearchText(project, c.query); });
      if (!page.ok()) {
        log_->Broken(kTextSearch, call + " gave " + Described(page.status()));
        return false;
      }
      std::vector<std::string> got;
      for (const TextHit& hit : page->hits) got.push_back(HitText(hit));
      if (got != c.hits || page->more != c.more || page->commit != cursor) {
        std::string listed;
        for (const std::string& hit : got) listed += (listed.empty() ? "" : "; ") + hit;
        std::string wanted;
        for (const std::string& hit : c.hits) wanted += (wanted.empty() ? "" : "; ") + hit;
        log_->Broken(kTextSearch, call + " gave [" + listed + "]" + (page->more ? " and more" : "") + " at \"" +
                                      page->commit + "\"; expected [" + wanted + "]" + (c.more ? " and more" : "") +
                                      " at \"" + cursor + "\" (path:line:matches:snippet)");
        return false;
      }
    }
    Result<TextPage> short_query = Guard("SearchText", [&] { return storage_->SearchText(project, query("ne", false, "", 50)); });
    if (short_query.status().code() != StatusCode::kInvalidArgument) {
      log_->Broken(kTextSearch, std::string("SearchText(\"ne\") of 2 characters ") + when + " gave " +
                                    Described(short_query.status()) + "; expected InvalidArgument");
      return false;
    }
    return true;
  };
  if (!run("after the write")) return;
  if (options_.indexes_text_later) {
    Result<int64_t> indexed = Guard("IndexText", [&] { return storage_->IndexText(project, 1000); });
    if (!indexed.ok()) {
      log_->Broken(kTextSearch, "IndexText after the write gave " + Described(indexed.status()));
      return;
    }
    if (!run("after IndexText")) return;
  }
  log_->Held(kTextSearch);
}

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

void StorageKit::CheckTenants(const ProjectRef& a, const ProjectRef& b, const ProjectRef& other) {
  if (!options_.keeps_analysis) {
    log_->Skip(kTenants, "the storage is built for an SDK before 3.2, without analysis results");
    return;
  }
  if (other.id == 0) {
    log_->Skip(kTenants, "no project of another tenant could be made in the kit's database" +
                             (options_.other_tenant_why.empty() ? "" : ": " + options_.other_tenant_why));
    return;
  }
  const AnalyzerKey key{"conformance-tenants", "1", ""};
  const Rows rows = SmallRows("tenants");
  for (const ProjectRef* project : {&a, &b, &other}) {
    const Status written = WriteAll(*project, "", Commit("tenants"), rows);
    if (!written.ok()) {
      log_->Broken(kTenants, "a first write of project " + std::to_string(project->id) + " (tenant " +
                                 project->tenant + ") gave " + Described(written));
      return;
    }
  }
  auto work_of = [&](const ProjectRef& project, size_t* count) -> Status {
    AnalysisWorkQuery query;
    query.limit = 100;
    Result<AnalysisWorkPage> page = Guard("ListAnalysisWork", [&] { return storage_->ListAnalysisWork(project, key, query); });
    if (!page.ok()) return page.status();
    *count = page->work.size();
    return Status::Ok();
  };
  size_t before = 0;
  Status status = work_of(a, &before);
  std::vector<AnalysisResult> results;
  for (const auto& [path, row] : rows) {
    AnalysisResult result;
    result.blob_id = row.entry.blob_id;
    result.language = row.document.language;
    result.data = "{\"tenant\": \"" + a.tenant + "\"}";
    results.push_back(result);
  }
  if (status.ok()) {
    status = Guard("PutAnalysisResults", [&] { return storage_->PutAnalysisResults(a, key, results); });
  }
  if (!status.ok()) {
    log_->Broken(kTenants, "storing results through project " + std::to_string(a.id) + " gave " + Described(status));
    return;
  }
  size_t same_tenant = 0;
  size_t other_tenant = 0;
  status = work_of(b, &same_tenant);
  if (status.ok()) status = work_of(other, &other_tenant);
  if (!status.ok()) {
    log_->Broken(kTenants, "ListAnalysisWork after the results were stored gave " + Described(status));
    return;
  }
  if (same_tenant != 0) {
    log_->Broken(kTenants, "project " + std::to_string(b.id) + " of tenant " + b.tenant + " holds the same " +
                               std::to_string(rows.size()) + " blobs as project " + std::to_string(a.id) +
                               ", whose results were stored, yet ListAnalysisWork still gives " +
                               std::to_string(same_tenant) + " of them: results are not shared within a tenant");
    return;
  }
  if (other_tenant != rows.size()) {
    log_->Broken(kTenants, "ListAnalysisWork of project " + std::to_string(other.id) + " of another tenant (" +
                               other.tenant + ") gave " + std::to_string(other_tenant) + " blobs to analyse, expected all " +
                               std::to_string(rows.size()) + ": tenant " + a.tenant + "'s results reach it");
    return;
  }
  const std::string path = rows.begin()->first;
  Result<AnalysisResult> seen = Guard("GetAnalysis", [&] { return storage_->GetAnalysis(other, key, path); });
  if (seen.status().code() != StatusCode::kNotFound) {
    log_->Broken(kTenants, "GetAnalysis(" + ShownPath(path) + ") in project " + std::to_string(other.id) +
                               " of another tenant gave " +
                               (seen.ok() ? "tenant " + a.tenant + "'s result" : Described(seen.status())) +
                               "; expected NotFound");
    return;
  }
  log_->Held(kTenants);
}

void StorageKit::CheckVectors(const std::string& tenant, const std::string& other_tenant) {
  if (!options_.searches_text) {
    log_->Skip(kVectors, "the storage is built for an SDK before 3.5, without vectors");
    return;
  }
  if (!options_.own_database) {
    log_->Skip(kVectors, "no storage call removes a vector: the kit stores them only in a database of its own "
                         "(without --database)");
    return;
  }
  const std::string space = "conformance-kit/v1";
  const std::string h1 = Sha256Hex("one"), h2 = Sha256Hex("two"), h3 = Sha256Hex("three"), h4 = Sha256Hex("four");
  const std::vector<float> v1 = {1.0f, -2.5f, 3.0e-7f}, v2 = {0.5f, 0.25f, -1.0f};
  auto missing = [&](const std::string& who, const std::vector<std::string>& hashes,
                     const std::vector<std::string>& expected, const std::string& when) -> bool {
    Result<std::vector<std::string>> got =
        Guard("MissingVectors", [&] { return storage_->MissingVectors(who, space, hashes); });
    if (got.ok() && *got == expected) return true;
    log_->Broken(kVectors, "MissingVectors of " + std::to_string(hashes.size()) + " hashes " + when + " gave " +
                               (got.ok() ? std::to_string(got->size()) + " of them" : Described(got.status())) +
                               ", expected " + std::to_string(expected.size()) + ", in the order asked");
    return false;
  };
  auto put = [&](const std::vector<StoredVector>& vectors) {
    return Guard("PutVectors", [&] { return storage_->PutVectors(tenant, space, vectors); });
  };
  if (!missing(tenant, {h1, h2, h3}, {h1, h2, h3}, "before any was stored")) return;
  Status status = put({{h1, v1}, {h2, v2}});
  if (!status.ok()) {
    log_->Broken(kVectors, "PutVectors of two vectors of 3 dimensions gave " + Described(status));
    return;
  }
  if (!missing(tenant, {h3, h2, h1}, {h3}, "after two of them were stored")) return;
  auto read_back = [&](const std::string& when) -> bool {
    Result<std::vector<StoredVector>> got =
        Guard("GetVectors", [&] { return storage_->GetVectors(tenant, space, {h2, h3, h1}); });
    if (got.ok() && got->size() == 2 && (*got)[0].hash == h2 && (*got)[0].values == v2 && (*got)[1].hash == h1 &&
        (*got)[1].values == v1) {
      return true;
    }
    log_->Broken(kVectors, "GetVectors of (two, three, one) " + when + " gave " +
                               (got.ok() ? std::to_string(got->size()) + " vectors" : Described(got.status())) +
                               "; expected two and one in that order, each exactly as stored, three left out");
    return false;
  };
  if (!read_back("after they were stored")) return;
  status = put({{h1, {9.0f, 9.0f, 9.0f}}});
  if (!status.ok()) {
    log_->Broken(kVectors, "PutVectors of a hash already stored gave " + Described(status) +
                               "; expected OK, the stored vector kept");
    return;
  }
  if (!read_back("after one was put again with other values")) return;
  const std::pair<std::vector<StoredVector>, std::string> bad[] = {
      {{{h3, v1}, {h4, {1.0f, 2.0f}}}, "a batch whose second vector has 2 dimensions where the space has 3"},
      {{{h3, v1}, {h4, {1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f}}}, "a batch with a NaN"},
      {{{h3, v1}, {h4, {}}}, "a batch with an empty vector"},
      {{{h3, v1}, {"not-a-hash", v1}}, "a batch with a hash that is not 64 hex digits"},
  };
  for (const auto& [vectors, what] : bad) {
    status = put(vectors);
    if (status.code() != StatusCode::kInvalidArgument) {
      log_->Broken(kVectors, "PutVectors of " + what + " gave " + Described(status) + "; expected InvalidArgument");
      return;
    }
    if (!missing(tenant, {h3, h4}, {h3, h4}, "after PutVectors refused " + what)) return;
  }
  status = Guard("PutVectors", [&] { return storage_->PutVectors(tenant, "a space", {{h3, v1}}); });
  if (status.code() != StatusCode::kInvalidArgument) {
    log_->Broken(kVectors, "PutVectors in the space \"a space\" gave " + Described(status) + "; expected InvalidArgument");
    return;
  }
  if (!other_tenant.empty()) {
    if (!missing(other_tenant, {h1, h2}, {h1, h2}, "of another tenant")) return;
    Result<std::vector<StoredVector>> got =
        Guard("GetVectors", [&] { return storage_->GetVectors(other_tenant, space, {h1, h2}); });
    if (!got.ok() || !got->empty()) {
      log_->Broken(kVectors, "GetVectors of another tenant gave " +
                                 (got.ok() ? std::to_string(got->size()) + " vectors of tenant " + tenant
                                           : Described(got.status())) +
                                 "; expected none");
      return;
    }
  }
  log_->Held(kVectors);
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

  // Three more projects, written at once, with the same paths as a's.
  TETHER_RETURN_IF_ERROR(ReadState(a, &cursor, &rows));
  std::vector<Status> written(3);
  std::vector<std::thread> writers;
  for (int i = 0; i < 3; ++i) {
    writers.emplace_back([&, i] {
      const ProjectRef& project = options_.projects[4 + i];
      written[i] = WriteAll(project, "", Commit("other " + std::to_string(i)), FirstRows("project " + std::to_string(i)));
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

}  // namespace

const std::vector<std::pair<std::string, std::string>>& StorageContracts() {
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

Status CheckStorage(Storage* storage, const StorageKitOptions& options, Report* report) {
  ContractLog log(StorageContracts());
  StorageKit kit(storage, options, &log);
  const Status status = kit.Run();
  *report = log.Finish();
  return status;
}

Status HoldWriteForKit(Storage* storage, const ProjectRef& project) {
  Result<CommitId> cursor = storage->ReadCursor(project);
  if (!cursor.ok()) return cursor.status();
  Result<std::unique_ptr<StorageWriter>> writer = storage->BeginWrite(project, *cursor);
  if (!writer.ok()) return writer.status();
  for (const auto& [path, row] : FirstRows("killed")) {
    Change change;
    change.entry = row.entry;
    change.entry.path = "killed/" + path;
    TETHER_RETURN_IF_ERROR((*writer)->Apply(change, &row.document, Commit("killed")));
  }
  std::printf("applied\n");
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
}

}  // namespace tether::conformance
