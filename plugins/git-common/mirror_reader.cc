#include "git-common/mirror_reader.h"

#include <cctype>
#include <utility>

namespace tether {
namespace git_common {
bool IsFullObjectId(const std::string& text) {
  if (text.size() != 40) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<bool> MirrorReader::IsAncestor(const CommitId& ancestor, const CommitId& commit) {
  TETHER_RETURN_IF_ERROR(EnsureCommit(commit, "commit id"));
  return reader_->IsAncestor(ancestor, commit);
}

Status MirrorReader::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  if (sink == nullptr) return Status::InvalidArgument("Diff needs a sink");
  if (to.empty()) return Status::InvalidArgument("Diff needs a target commit id");
  TETHER_RETURN_IF_ERROR(EnsureCommit(to, "target commit id"));
  if (!from.empty()) TETHER_RETURN_IF_ERROR(EnsureCommit(from, "base commit id"));
  return reader_->Diff(from, to, sink);
}

Result<Blob> MirrorReader::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  TETHER_RETURN_IF_ERROR(EnsureMirror());
  return reader_->ReadBlob(id, max_bytes);
}

Status MirrorReader::EnsureMirror() {
  if (mirror_ != nullptr) return Status::Ok();
  Result<std::unique_ptr<Mirror>> mirror = opener_();
  if (!mirror.ok()) return mirror.status();
  mirror_ = std::move(mirror).value();
  reader_ = std::make_unique<GitObjectReader>(mirror_->repo(), mirror_->odb(), name_);
  return Status::Ok();
}

Status MirrorReader::EnsureCommit(const CommitId& id, const char* what) {
  if (!IsFullObjectId(id)) {
    return Status::InvalidArgument(std::string(what) + " '" + id + "' is not a full object id (40 hex digits)");
  }
  TETHER_RETURN_IF_ERROR(EnsureMirror());
  Result<bool> present = reader_->Contains(id, what);
  if (!present.ok()) return present.status();
  if (*present) return Status::Ok();
  TETHER_RETURN_IF_ERROR(mirror_->Fetch(id));
  present = reader_->Contains(id, what);
  if (!present.ok()) return present.status();
  if (*present) return Status::Ok();
  return Status::NotFound("commit " + id + " not found in " + where_);
}

}  // namespace git_common
}  // namespace tether
