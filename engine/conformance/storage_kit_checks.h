// The storage kit's checks (storage_kit.h), shared by the files that hold
// them: storage_kit.cc (the run, documents, pages, changes),
// storage_kit_atomicity.cc (rollback, conflict, a killed writer, fencing)
// and storage_kit_derived.cc (analysis results, outputs, text search,
// tenants, vectors). Internal to engine/conformance.
#ifndef TETHER_ENGINE_CONFORMANCE_STORAGE_KIT_CHECKS_H_
#define TETHER_ENGINE_CONFORMANCE_STORAGE_KIT_CHECKS_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/conformance/report.h"
#include "engine/conformance/storage_kit.h"
#include "tether/storage.h"

namespace tether::conformance::storage_checks {

inline constexpr char kEmpty[] = "empty";
inline constexpr char kCommit[] = "commit";
inline constexpr char kEntries[] = "entries";
inline constexpr char kCounts[] = "counts";
inline constexpr char kPages[] = "pages";
inline constexpr char kChanges[] = "changes";
inline constexpr char kRollback[] = "rollback";
inline constexpr char kConflict[] = "conflict";
inline constexpr char kKilled[] = "killed-writer";
inline constexpr char kApart[] = "projects-apart";
inline constexpr char kConcurrent[] = "concurrent-projects";
inline constexpr char kDelete[] = "delete-project";
inline constexpr char kFence[] = "fence";
inline constexpr char kAnalysis[] = "analysis";
inline constexpr char kTextSearch[] = "text-search";
inline constexpr char kOutputs[] = "outputs";
inline constexpr char kTenants[] = "tenants";
inline constexpr char kVectors[] = "vectors";
inline constexpr const char* kNoThrow = kNoThrowContract;

inline constexpr int kDocuments = 120;

// What the kit wrote and expects to read back at a path.
struct Row {
  Entry entry;
  Document document;
};
using Rows = std::map<std::string, Row>;  // by path

// A commit id of the kit's, named.
std::string Commit(const std::string& name);
Row MakeRow(const std::string& path, const std::string& content, EntryKind kind = EntryKind::kFile,
            bool binary = false);
// The first tree: files under three folders whose names sort around each
// other, an executable, a symlink, binary rows, multibyte names.
Rows FirstRows(const std::string& salt);
// A few rows, for the checks that write on a project of their own.
Rows SmallRows(const std::string& salt);
std::string Described(const Status& status);
// The contracts, in report order (storage_kit.h's StorageContracts).
const std::vector<std::pair<std::string, std::string>>& Contracts();

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

}  // namespace tether::conformance::storage_checks

#endif  // TETHER_ENGINE_CONFORMANCE_STORAGE_KIT_CHECKS_H_
