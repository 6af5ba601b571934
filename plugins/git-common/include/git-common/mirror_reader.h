// MirrorReader: the read side of a tether::Repository whose content is a
// bare mirror of a remote (mirror.h): IsAncestor, Diff and ReadBlob as
// provider.h says, opening the mirror at the first call that needs it and
// fetching only when a commit asked for is not in it yet, then reading it
// exactly like local-git (object_reader.h). The github and git-remote
// providers answer alike through it.
//
// Ownership: owns the mirror and its reader once opened.
// Thread safety: one thread at a time, like the Repository that owns it.
// Errors: the opener's and the mirror's fetcher's; InvalidArgument for an
// id that is not 40 hex digits; NotFound for a commit no branch of the
// remote reaches. Nothing here catches exceptions: the Repository's guard
// does.
#ifndef TETHER_PLUGINS_GIT_COMMON_MIRROR_READER_H_
#define TETHER_PLUGINS_GIT_COMMON_MIRROR_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "git-common/mirror.h"
#include "git-common/object_reader.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {
namespace git_common {

// Whether `text` is a full SHA-1 object id: 40 hex digits.
bool IsFullObjectId(const std::string& text);

class MirrorReader {
 public:
  // Opens the provider's mirror (Mirror::Open with its fetcher, folder and
  // URL); called once, at the first read, and again after a failure.
  using Opener = std::function<Result<std::unique_ptr<Mirror>>()>;

  // `name` names the repository in the reader's messages; a commit that is
  // not found is "commit <id> not found in <where>".
  MirrorReader(Opener opener, std::string name, std::string where)
      : opener_(std::move(opener)), name_(std::move(name)), where_(std::move(where)) {}

  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit);
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink);
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes);

 private:
  Status EnsureMirror();
  // Makes sure commit `id` is in the mirror, fetching when it is not.
  Status EnsureCommit(const CommitId& id, const char* what);

  const Opener opener_;
  const std::string name_;
  const std::string where_;
  std::unique_ptr<Mirror> mirror_;
  std::unique_ptr<GitObjectReader> reader_;
};

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_MIRROR_READER_H_
