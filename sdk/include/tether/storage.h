// Storage: where synced content goes, together with the project's cursor
// (the last synced commit). The engine owns the projects; a storage plugin
// owns everything it keeps for a project id the engine gives it -- the
// documents and the cursor -- and is the only code that names where it keeps
// them. The engine reads documents, counts and the cursor only through this
// interface.
//
// The contract that makes a sync exactly-once per commit: everything written
// through one StorageWriter and the new cursor become visible together, in
// one transaction, or not at all. The cursor is written in that one place.
//
// Derived data: what is computed from a document's content (an embedding,
// an analysis) is keyed by the blob. A storage keeps it across renames and
// mode changes and drops it only when the blob at a path changes. The SDK
// names derived data by a short lower-case name ("embedding"); a storage
// reports which names a document holds, without the data.
//
// Analysis results (ABI 3.2): what analyzers computed, keyed by content as
// analyzer.h says, shared by every project of one tenant and never by two
// tenants. A storage keeps a result while any document of the tenant holds
// its blob, and for a grace period after (CollectAnalysis), so a branch
// switched back reuses it; a sync never drops one.
//
// Repository outputs (ABI 3.3): what an analyzer's repository step made for
// one project (repository_step.h), and the files it made them from. They
// belong to the project: DeleteProject forgets them.
//
// Thread safety: Storage methods may be called from several threads at once.
// A StorageWriter is used by one thread at a time.
//
// Errors: NotFound for a document path a project does not have; Conflict
// when the cursor moved since BeginWrite (another run got there first);
// Unavailable when the database is busy or unreachable; InvalidArgument for
// a value the storage cannot hold or a query it cannot answer; Internal
// otherwise. A failed write changes nothing. A project the storage holds
// nothing for is not an error: it has no cursor, no documents and zero
// counts.
#ifndef TETHER_STORAGE_H_
#define TETHER_STORAGE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tether/analyzer.h"
#include "tether/plugin.h"
#include "tether/repository_step.h"
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

// How many stored documents hold one kind of derived data.
struct DerivedCount {
  std::string name;  // e.g. "embedding"
  int64_t documents = 0;
};

// Counts a storage reports for one project.
struct StorageCounts {
  int64_t documents = 0;
  int64_t with_content = 0;
  int64_t binary = 0;
  int64_t total_bytes = 0;
  // Every kind of derived data the storage can hold, in a stable order,
  // each with how many documents hold it (0 included).
  std::vector<DerivedCount> derived;
};

// One stored document as the engine shows it (API, web page, CLI).
struct StoredDocument {
  Entry entry;                 // path, blob id, mode, kind
  uint64_t size = 0;
  bool is_binary = false;
  std::string language;        // empty when unknown
  bool has_content = false;    // text was stored for it
  std::string content;         // filled by GetDocument only, when has_content
  std::vector<std::string> derived;  // names of the derived data it holds
  CommitId updated_commit;     // the commit that last wrote the row
  std::string updated_at;      // when, UTC ISO-8601
};

// Which documents ListDocuments returns: those whose path starts with
// `path_prefix` ("" for all) and sorts after `after` ("" from the start),
// in byte order of their paths, at most `limit` (1 or more).
struct DocumentQuery {
  std::string path_prefix;
  std::string after;
  int limit = 100;
};

struct DocumentPage {
  std::vector<StoredDocument> documents;  // without content
  bool more = false;  // more documents match after the last one of this page
};

// ---- Analysis results (ABI 3.2) ----

// One blob of a project's current documents that still needs an analyzer:
// no result for the key, a failure to retry, or a mark left by an attempt
// that never finished.
struct AnalysisWork {
  BlobId blob_id;
  std::string language;   // the documents' language ("" when unknown)
  std::string path;       // the smallest current path holding the blob
  uint64_t size = 0;
  bool is_binary = false;
  bool has_content = false;
  std::string content;    // when has_content
  int32_t unfinished = 0; // attempts marked started that never finished
  std::string marked_by;  // who marked the last unfinished attempt; "" if none
  int32_t failures = 0;   // failed attempts so far
};

// A page of work in (blob_id, language) order after the given pair ("", ""
// from the start), at most `limit` (1 or more) blobs.
struct AnalysisWorkQuery {
  std::string after_blob;
  std::string after_language;
  int limit = 100;
};

struct AnalysisWorkPage {
  std::vector<AnalysisWork> work;
  bool more = false;
};

// How a project's current blobs stand for one key.
struct AnalysisCounts {
  int64_t analyzed = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
  int64_t poison = 0;
  int64_t pending = 0;  // no final result yet
};

// Symbols of a project's current documents whose name matches `text`,
// case-insensitively: the whole name, a prefix of it, or a prefix of one of
// its sub-tokens (split at '_', '-', '.', ':', digits and lower-to-upper
// case changes: "parse" finds "jv_parse_sized" and "parseJson"). Narrowed
// to `kind` and to paths starting with `path_prefix` when those are not
// empty.
struct SymbolQuery {
  AnalyzerKey key;
  std::string text;
  std::string kind;
  std::string path_prefix;
  int limit = 50;  // 1 to 1000
};

struct SymbolHit {
  std::string path;
  std::string language;
  Symbol symbol;
  // 0 the whole name, 1 a prefix of the name, 2 a prefix of a sub-token.
  int match = 0;
};

// Hits best first: by match, then name, path and start line.
struct SymbolPage {
  std::vector<SymbolHit> hits;
  bool more = false;  // more than `limit` matched
};

// ---- Repository outputs (ABI 3.3) ----

// The files a repository step last completed on, under which key.
struct RepositorySnapshot {
  AnalyzerKey key;                    // id empty: the step never completed
  std::vector<RepositoryFile> files;  // in byte order of their paths
};

// One completed run of a repository step, stored all at once.
struct RepositoryCommit {
  AnalyzerKey key;
  // Everything stored for the step before (outputs and snapshot) goes
  // first: a first run, or one under a new key.
  bool replace_all = false;
  std::vector<RepositoryOutput> puts;
  std::vector<std::string> removes;
  std::vector<FileChange> changes;  // applied to the snapshot
};

struct StoredOutput {
  RepositoryOutput output;  // content only when asked for
  std::string updated_at;   // when it was last put, UTC ISO-8601
};

// Which outputs ListRepositoryOutputs returns: the step `analyzer_id`'s
// whose names start with `prefix` and sort after `after`, in byte order, at
// most `limit` (1 or more).
struct RepositoryOutputQuery {
  std::string analyzer_id;
  std::string prefix;
  std::string after;
  int limit = 100;
  bool with_content = false;
};

struct RepositoryOutputPage {
  std::vector<StoredOutput> outputs;
  bool more = false;
};

// ---- Search (ABI 3.5) ----

// Text search over a project's current documents (SearchText): every
// occurrence of `text` in their stored content, taken literally (no
// operators, no wildcards: '*', '%', '_', '"', '\\' are themselves).
// `text` is valid UTF-8 without NUL, of at least kTextQueryMinChars
// characters (code points; an index of 3-character sequences answers it
// without reading every document) and at most kTextQueryMaxBytes bytes.
// Case-insensitive unless `case_sensitive`: ASCII letters fold (A-Z match
// a-z), and every other character matches only itself, so both databases
// answer alike.
// Only documents whose path starts with `path_prefix` when it is not empty.
constexpr int kTextQueryMinChars = 3;
constexpr size_t kTextQueryMaxBytes = 1024;
// A snippet holds at most this many bytes, cut at a character boundary.
constexpr size_t kTextSnippetMaxBytes = 400;

struct TextQuery {
  std::string text;
  bool case_sensitive = false;
  std::string path_prefix;
  int limit = 50;  // 1 to 1000 hits
};

// One occurrence (several on one line count as one hit): the lines it
// spans, 1-based (a query with a newline spans more than one), and those
// lines as a snippet (without their line ends; when longer than
// kTextSnippetMaxBytes, a window around the match), valid UTF-8.
struct TextHit {
  std::string path;
  std::string language;  // the document's; empty when unknown
  int64_t start_line = 0;
  int64_t end_line = 0;
  int64_t matches = 0;   // occurrences starting on start_line
  std::string snippet;
};

// Hits in order of their paths, then by line.
struct TextPage {
  std::vector<TextHit> hits;
  bool more = false;  // more than `limit` hits
  // The project's cursor when it was searched: the commit every hit is of
  // (empty when the project never synced).
  CommitId commit;
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
  // the new content and replaces the row; derived data is dropped when the
  // blob id differs from the stored row's, because it describes the old
  // content, and kept when only the mode changed. For kRenamed (same blob;
  // the mode may differ), the row moves, takes the new mode and kind, and
  // keeps its derived data; `document` describes the content, used only when
  // there is no row at the old path to move. For kDeleted, `document` is
  // ignored.
  virtual Status Apply(const Change& change, const Document* document, const CommitId& commit) = 0;

  // Writes `new_cursor` and commits. The writer is finished afterwards.
  virtual Status Commit(const CommitId& new_cursor) = 0;
};

class Storage : public Plugin {
 public:
  Storage* AsStorage() override { return this; }

  // The project's last synced commit; empty when it never synced.
  virtual Result<CommitId> ReadCursor(const ProjectRef& project) = 0;

  // Streams every stored entry of the project (path, blob id, mode, kind),
  // in no particular order.
  virtual Status ListEntries(const ProjectRef& project, EntrySink* sink) = 0;

  // Opens a write transaction for the project, whose cursor must still be
  // `expected_cursor` (the commit the caller diffed from; empty for none):
  // Conflict otherwise. The caller owns the writer.
  virtual Result<std::unique_ptr<StorageWriter>> BeginWrite(const ProjectRef& project,
                                                            const CommitId& expected_cursor) = 0;

  virtual Result<StorageCounts> Counts(const ProjectRef& project) = 0;

  // A page of the project's documents (see DocumentQuery), never their
  // content or derived data.
  virtual Result<DocumentPage> ListDocuments(const ProjectRef& project, const DocumentQuery& query) = 0;

  // One document with its content. NotFound when the project has no
  // document at `path`.
  virtual Result<StoredDocument> GetDocument(const ProjectRef& project, const std::string& path) = 0;

  // Forgets everything stored for the project (documents, derived data, the
  // cursor), in one transaction; the engine calls it before it removes the
  // project. Forgetting a project with nothing stored succeeds.
  virtual Status DeleteProject(const ProjectRef& project) = 0;

  // ---- Analysis results (ABI 3.2: the host calls these only on storages
  // built for 3.2 or later) ----

  // A page of the blobs of the project's current documents that still need
  // `key` (see AnalysisWork), with their content.
  virtual Result<AnalysisWorkPage> ListAnalysisWork(const ProjectRef& project, const AnalyzerKey& key,
                                                    const AnalysisWorkQuery& query) = 0;

  // Records, durably and before the analyzer sees them, that `owner` starts
  // an attempt at each (blob, language) of `work` under `key`. A mark is
  // replaced by the blob's result; one left behind means the attempt died.
  virtual Status MarkAnalysisStarted(const ProjectRef& project, const AnalyzerKey& key,
                                     const std::vector<AnalysisWork>& work, const std::string& owner) = 0;

  // Stores final results under `key`, replacing marks and older results of
  // the same (blob, language, key), in one transaction. InvalidArgument for
  // a result the storage cannot hold (data that is not a JSON object);
  // nothing is written then.
  virtual Status PutAnalysisResults(const ProjectRef& project, const AnalyzerKey& key,
                                    const std::vector<AnalysisResult>& results) = 0;

  // The result for the project's current document at `path` under `key`.
  // NotFound when the project has no document there or it has no final
  // result yet.
  virtual Result<AnalysisResult> GetAnalysis(const ProjectRef& project, const AnalyzerKey& key,
                                             const std::string& path) = 0;

  virtual Result<AnalysisCounts> CountAnalysis(const ProjectRef& project, const AnalyzerKey& key) = 0;

  virtual Result<SymbolPage> SearchSymbols(const ProjectRef& project, const SymbolQuery& query) = 0;

  // Removes the tenant's results that no current document has needed for
  // `grace_seconds`, counted from the first call that saw them unneeded:
  // those of blobs no document of the tenant holds, and those of an
  // analyzer id in `active` under another version or settings hash. Results
  // of an analyzer id not in `active` (one not configured now) are kept
  // while their blobs are. Returns how many results it removed.
  virtual Result<int64_t> CollectAnalysis(const std::string& tenant, const std::vector<AnalyzerKey>& active,
                                          int64_t grace_seconds) = 0;

  // ---- Repository outputs and batch reads (ABI 3.3: the host calls these
  // only on storages built for 3.3 or later) ----

  // The final results under `key` for each (blob, language) of `files`, in
  // the same order; a file whose blob has none comes back with outcome
  // kFailed, reason "no result" and its blob and language.
  virtual Result<std::vector<AnalysisResult>> GetAnalysisResults(const ProjectRef& project, const AnalyzerKey& key,
                                                                 const std::vector<RepositoryFile>& files) = 0;

  // What the repository step `analyzer_id` last completed on.
  virtual Result<RepositorySnapshot> ReadRepositorySnapshot(const ProjectRef& project,
                                                            const std::string& analyzer_id) = 0;

  // Stores one run of the step `commit.key.id`: its outputs, removals and
  // snapshot changes, and its key, in one transaction. InvalidArgument for
  // an output outside the limits of RepositoryOutput; nothing is written
  // then.
  virtual Status CommitRepositoryStep(const ProjectRef& project, const RepositoryCommit& commit) = 0;

  virtual Result<RepositoryOutputPage> ListRepositoryOutputs(const ProjectRef& project,
                                                             const RepositoryOutputQuery& query) = 0;

  // One output with its content. NotFound when there is none of that name.
  virtual Result<StoredOutput> GetRepositoryOutput(const ProjectRef& project, const std::string& analyzer_id,
                                                   const std::string& name) = 0;

  // ---- Fencing (ABI 3.4: the host calls these only on storages built for
  // 3.4 or later; on older ones it calls BeginWrite) ----
  //
  // A project's runs hold a lease with an epoch that grows with every run
  // that takes it. When a run takes over a lease its holder never released
  // (the holder's process stopped answering: paused, cut off, dead), the
  // holder may still be in the middle of a write; the new run calls Fence
  // before it reads the cursor, and from then on the storage refuses to
  // commit any write begun under an older epoch.

  // Records `epoch` as the project's newest (an older one changes nothing).
  // Must not wait for a write transaction of the project to end (the
  // writer may be stalled for good): a write committing at the same time
  // commits either before the fence (and the caller then reads its cursor)
  // or is refused.
  virtual Status Fence(const ProjectRef& project, int64_t epoch) = 0;

  // BeginWrite for a run holding the lease at `epoch`: its Commit fails
  // with Conflict, writing nothing, when a newer epoch was fenced since.
  virtual Result<std::unique_ptr<StorageWriter>> BeginFencedWrite(const ProjectRef& project,
                                                                  const CommitId& expected_cursor,
                                                                  int64_t epoch) = 0;

  // ---- Search (ABI 3.5: the host calls these only on storages built for
  // 3.5 or later) ----

  // The occurrences of `query.text` in the content of the project's current
  // documents (see TextQuery): only rows of the project as its last commit
  // left them, never of another branch, commit or project. Without reading
  // every document: a storage answers from an index. InvalidArgument (and
  // nothing searched) for a text outside TextQuery's rules or a limit
  // outside 1 to 1000, naming what is wrong.
  virtual Result<TextPage> SearchText(const ProjectRef& project, const TextQuery& query) = 0;

  // ---- Vectors (ABI 3.5: the host calls these only on storages built for
  // 3.5 or later) ----
  //
  // Vectors of texts an embedder made (analyzer.h, Embedder), keyed by the
  // space and the text's hash (StoredVector, repository_step.h): facts
  // about bytes like analysis results, shared by every project of one
  // tenant and never by two. A stored vector never changes (one text has
  // one vector in a space) and is kept across syncs, branch switches and
  // migrations. Which texts a project's files hold is the embeddings
  // step's output; the storage only keeps the vectors.
  //
  // `space`: printable ASCII without spaces, 1 to 128 bytes. Errors:
  // InvalidArgument for a space or hash outside that form, a vector that
  // is empty, holds a value that is not finite, or has other dimensions
  // than the space's vectors stored before (nothing is written then).

  // Those of `hashes` without a vector in `space`, in the order given.
  virtual Result<std::vector<std::string>> MissingVectors(const std::string& tenant, const std::string& space,
                                                          const std::vector<std::string>& hashes) = 0;

  // Stores `vectors` in one transaction, durably before it returns; a hash
  // already stored keeps its vector.
  virtual Status PutVectors(const std::string& tenant, const std::string& space,
                            const std::vector<StoredVector>& vectors) = 0;

  // The stored vectors of `hashes` in `space`, in the order given; a hash
  // without one is left out.
  virtual Result<std::vector<StoredVector>> GetVectors(const std::string& tenant, const std::string& space,
                                                       const std::vector<std::string>& hashes) = 0;

  // ---- The text index (ABI 3.8: the host calls this only on storages
  // built for 3.8 or later) ----

  // Indexes, in one transaction of its own, the content of at most
  // `max_documents` (1 or more) of the project's current documents that
  // SearchText's index does not hold yet, and returns how many it indexed:
  // 0 when none is left. A write need not index what it stores (an index
  // of every 3-character sequence costs many times the write itself); the
  // host calls this after the write, in the analyze phase, until it
  // returns 0 or the run stops, and SearchText answers from the content
  // of documents not indexed yet meanwhile. A storage whose writes keep
  // their index, or that has none, returns 0 (the default).
  virtual Result<int64_t> IndexText(const ProjectRef& project, int64_t max_documents) {
    (void)project;
    (void)max_documents;
    return int64_t{0};
  }
};

}  // namespace tether

#endif  // TETHER_STORAGE_H_
