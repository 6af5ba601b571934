#include "git-common/git_status.h"

#include <cctype>

namespace tether {
namespace git_common {

Status GitErrorStatus(int error, const std::string& context) {
  const git_error* last = git_error_last();
  std::string message = context + ": ";
  message += (last != nullptr && last->message != nullptr)
                 ? last->message
                 : "libgit2 error " + std::to_string(error);
  switch (error) {
    case GIT_ENOTFOUND:
      return Status::NotFound(std::move(message));
    case GIT_EINVALIDSPEC:
    case GIT_EAMBIGUOUS:
      return Status::InvalidArgument(std::move(message));
    case GIT_EOWNER:
      return Status::PermissionDenied(std::move(message));
    case GIT_ELOCKED:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

Status ParseObjectId(const std::string& text, const char* what, git_oid* out) {
  bool valid = text.size() == GIT_OID_HEXSZ;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) valid = false;
  }
  if (!valid || git_oid_fromstrn(out, text.data(), text.size()) != 0) {
    return Status::InvalidArgument(std::string(what) + " '" + text +
                                   "' is not a full object id (40 hex digits)");
  }
  return Status::Ok();
}

std::string FormatObjectId(const git_oid& id) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &id);
  return std::string(hex, GIT_OID_HEXSZ);
}

}  // namespace git_common
}  // namespace tether
