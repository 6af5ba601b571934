// RepositoryStep (ABI 3.3): the optional second step of an analyzer that
// needs the whole repository -- documentation with an index per folder, a
// map of what imports what. Per-blob analysis (analyzer.h) sees one file;
// the repository step sees the project's current files and what changed
// since it last ran, and works from stored per-blob results, never by
// reading an unchanged file again. Its cost follows the change.
//
// What it makes are outputs: named texts (a page, a state it keeps for its
// next run) kept per project by the storage, each with a key the step
// chooses (a digest of what the text was made from, so it can tell an
// output that is still right from one to redo without reading it). The
// engine stores one run's outputs, removals and the files they were made
// from in one transaction: a step that stops halfway changes nothing, and
// the next run is given the same change again.
//
// When it runs: after the per-blob analysis of the project, when every
// analyzer the step needs (RepositoryStep::Needs) has finished the
// project's current blobs (each has its final result), and only when a
// file changed since its last run, or its key or the key of an analyzer it
// needs changed (then it is a first run again: the results it read may
// have changed).
//
// Thread safety: one Update at a time per project; Updates for different
// projects may run at once, so a step keeps no state of its own between
// calls (its state is its outputs). The view and the sink are used from the
// calling thread only and are valid during the call.
//
// Errors from Update: anything it returns is recorded in the run (the step
// is tried again on the next run); nothing it returns fails a sync.
#ifndef TETHER_REPOSITORY_STEP_H_
#define TETHER_REPOSITORY_STEP_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tether/analyzer.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {

// One vector of a text (ABI 3.5): `hash` is the SHA-256 of the text's UTF-8
// bytes in lower-case hex (64 digits), `values` the vector.
struct StoredVector {
  std::string hash;
  std::vector<float> values;
};

// One current file of the project (symlinks and submodules are not files).
struct RepositoryFile {
  std::string path;
  BlobId blob_id;
  std::string language;  // the engine's language for the path; "" when unknown
};

enum class FileChangeKind : int {
  kAdded = 0,     // `path` is new (a rename is a deletion and an addition)
  kModified = 1,  // `path` holds another blob or language than before
  kDeleted = 2,   // `path` is gone
};

struct FileChange {
  FileChangeKind kind = FileChangeKind::kAdded;
  std::string path;
  BlobId old_blob;       // "" for kAdded
  BlobId new_blob;       // "" for kDeleted
  std::string language;  // the new language; the old one for kDeleted
};

// The limits of an output, in bytes; every text is UTF-8 without NUL.
inline constexpr size_t kMaxOutputNameBytes = 4096;
inline constexpr size_t kMaxOutputKeyBytes = 256;
inline constexpr size_t kMaxOutputContentBytes = size_t{16} << 20;

// One stored output. `key` and `content` are the step's own.
struct RepositoryOutput {
  std::string name;     // 1 to kMaxOutputNameBytes, e.g. "pages/src/_index.md"
  std::string key;      // at most kMaxOutputKeyBytes; "" allowed
  std::string content;  // at most kMaxOutputContentBytes (16 MiB)
};

// What Update sees. Owned by the engine.
class RepositoryView {
 public:
  virtual ~RepositoryView() = default;

  // The project's name, for titles and messages.
  virtual const std::string& project_name() const = 0;

  // Every current file, in byte order of their paths.
  virtual const std::vector<RepositoryFile>& files() const = 0;

  // What changed since the step's last completed run, in byte order of the
  // paths. On the first run, or when the analyzer's key changed since,
  // every file is kAdded and first_run() is true: the step makes every
  // output again, and outputs it does not make again are removed.
  virtual const std::vector<FileChange>& changes() const = 0;
  virtual bool first_run() const = 0;

  // The stored results of the analyzer `analyzer_id` (one of Needs(), under
  // its key now) for `files`, in the same order. A file with no final
  // result (skipped by a rule, failed) has its outcome and reason; a file
  // whose blob has no result at all is returned with outcome kFailed and
  // reason "no result". InvalidArgument for an id that is not in Needs().
  virtual Result<std::vector<AnalysisResult>> Results(const std::string& analyzer_id,
                                                      const std::vector<RepositoryFile>& files) const = 0;

  // The step's own outputs from its last run whose names start with
  // `prefix`, with their content, in byte order of their names. Empty on
  // the first run.
  virtual Result<std::vector<RepositoryOutput>> Outputs(const std::string& prefix) const = 0;

  // One of the step's own outputs from its last run. NotFound when there is
  // none of that name (always on the first run).
  virtual Result<RepositoryOutput> Output(const std::string& name) const = 0;

  // The stored text of a current file, for a file the step must read
  // itself (a README). NotFound when there is no such file or it has no
  // stored text (binary, over the size limit).
  virtual Result<std::string> Content(const std::string& path) const = 0;

  // ---- ABI 3.5 (a step built for 3.5 or later may call these) ----
  //
  // Vectors of texts (storage.h, "Vectors"), kept by content for the
  // project's tenant. Unlike outputs they are stored at once, not with the
  // step's run: a step that stops halfway keeps every vector it stored, so
  // its next run embeds only what is still missing. InvalidArgument when the
  // project's storage keeps no vectors (built before 3.5).

  // Those of `hashes` (see StoredVector) that have no vector in `space`, in
  // the order given.
  virtual Result<std::vector<std::string>> MissingVectors(const std::string& space,
                                                          const std::vector<std::string>& hashes) const = 0;

  // Stores `vectors` in `space`, durably before it returns.
  virtual Status PutVectors(const std::string& space, const std::vector<StoredVector>& vectors) const = 0;
};

// Where Update puts what it makes. Owned by the engine. Nothing is stored
// until Update returns OK.
class RepositorySink {
 public:
  virtual ~RepositorySink() = default;
  // Sets an output (replacing one of the same name). InvalidArgument for a
  // name, key or content outside the limits of RepositoryOutput.
  virtual Status Put(const RepositoryOutput& output) = 0;
  // Removes an output; removing one that does not exist is OK.
  virtual Status Remove(const std::string& name) = 0;
};

class RepositoryStep {
 public:
  virtual ~RepositoryStep() = default;

  // The ids of the analyzers whose per-blob results Update reads (e.g.
  // {"code"}). The step runs only when each is configured and has finished
  // the project's blobs.
  virtual std::vector<std::string> Needs() const = 0;

  // Brings the outputs up to date with view.files(), from view.changes().
  virtual Status Update(const RepositoryView& view, RepositorySink* sink) = 0;
};

}  // namespace tether

#endif  // TETHER_REPOSITORY_STEP_H_
