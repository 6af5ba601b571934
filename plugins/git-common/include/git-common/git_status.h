// Conversions between libgit2's error and id conventions and Tether's.
//
// Thread safety: all functions are safe to call from any thread; libgit2
// keeps its last error per thread.
#ifndef TETHER_PLUGINS_GIT_COMMON_GIT_STATUS_H_
#define TETHER_PLUGINS_GIT_COMMON_GIT_STATUS_H_

#include <git2.h>

#include <string>

#include "tether/status.h"

namespace tether {
namespace git_common {

// Turns the libgit2 return code `error` (negative) of the call described by
// `context` into a Status: GIT_ENOTFOUND -> NotFound, GIT_EINVALIDSPEC and
// GIT_EAMBIGUOUS -> InvalidArgument, GIT_EOWNER -> PermissionDenied,
// GIT_ELOCKED -> Unavailable, anything else -> Internal. The message is
// "<context>: <libgit2's message>".
Status GitErrorStatus(int error, const std::string& context);

// Parses a full object id (40 hex digits, either case) into `out`.
// InvalidArgument naming `what` and the text when it is not one.
Status ParseObjectId(const std::string& text, const char* what, git_oid* out);

// The 40 lower-case hex digits of `id`.
std::string FormatObjectId(const git_oid& id);

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_GIT_STATUS_H_
