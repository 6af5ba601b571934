// Value types shared by providers, storages and the engine: branches, commit
// ids, tree entries and changes. All are plain copyable values without
// behaviour; thread safety is that of std::string.
#ifndef TETHER_TYPES_H_
#define TETHER_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tether/status.h"

namespace tether {

// A commit or blob id as the provider spells it: opaque to the host, which
// only compares, stores and shows it (provider.h says what an id must
// mean). Non-empty printable ASCII; for git, 40 lower-case hex digits, but
// nothing requires that. Empty means "none" (for example: no cursor yet).
using CommitId = std::string;
using BlobId = std::string;

struct Branch {
  std::string name;  // may contain slashes: "feature/x"
  CommitId head;     // commit the branch points at
  bool is_default = false;
};

struct BranchList {
  std::vector<Branch> branches;  // sorted by name
  std::string default_branch;    // empty when the repository has none
};

// What a tree entry is. Symlinks are recorded, never followed; a submodule is
// recorded with the commit it pins as its blob id and has no content.
enum class EntryKind : int {
  kFile = 0,
  kExecutable = 1,
  kSymlink = 2,
  kSubmodule = 3,
};

const char* EntryKindName(EntryKind kind);

// Whether entries of kinds `a` and `b` with the same blob id hold the same
// content: a file and an executable file do (only the mode differs), so a
// move between them is a rename and keeps what was derived from the blob; a
// symlink's blob is its target and a submodule's is a commit.
bool SameContentKind(EntryKind a, EntryKind b);

struct Entry {
  std::string path;   // '/'-separated, relative to the repository root
  BlobId blob_id;     // blob id; for a submodule, the pinned commit id
  uint32_t mode = 0;  // git's file modes, whatever the provider: 0100644 (file),
                      // 0100755 (executable), 0120000 (symlink), 0160000 (submodule)
  EntryKind kind = EntryKind::kFile;
};

enum class ChangeKind : int {
  kAdded = 0,
  kModified = 1,  // content or mode changed at the same path
  kDeleted = 2,
  kRenamed = 3,   // exact rename: same blob, new path (old_path says from where);
                  // the mode may change too (see SameContentKind)
};

const char* ChangeKindName(ChangeKind kind);

struct Change {
  ChangeKind kind = ChangeKind::kAdded;
  // For kAdded, kModified and kRenamed: the new entry. For kDeleted: the
  // entry that was removed.
  Entry entry;
  // For kRenamed only: the path the entry had before.
  std::string old_path;
};

// Receives a change set one change at a time, so that a diff of 100,000 files
// is never held in memory by the provider. Returning a non-OK Status stops the
// diff; the provider returns that Status unchanged.
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  virtual Status OnChange(const Change& change) = 0;
};

// A blob's bytes. `size` is the full size; `data` holds the whole blob when
// it is at most the requested limit, and is empty (with `truncated` set)
// otherwise.
struct Blob {
  uint64_t size = 0;
  std::string data;
  bool truncated = false;
};

inline const char* EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile: return "file";
    case EntryKind::kExecutable: return "executable";
    case EntryKind::kSymlink: return "symlink";
    case EntryKind::kSubmodule: return "submodule";
  }
  return "unknown";
}

inline bool SameContentKind(EntryKind a, EntryKind b) {
  auto regular = [](EntryKind kind) { return kind == EntryKind::kFile || kind == EntryKind::kExecutable; };
  return a == b || (regular(a) && regular(b));
}

inline const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded: return "added";
    case ChangeKind::kModified: return "modified";
    case ChangeKind::kDeleted: return "deleted";
    case ChangeKind::kRenamed: return "renamed";
  }
  return "unknown";
}

}  // namespace tether

#endif  // TETHER_TYPES_H_
