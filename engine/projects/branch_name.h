// Whether a string may name a branch, by git's rules (git check-ref-format
// on "refs/heads/<name>", and `git branch`'s own: no leading '-', not
// "HEAD"), checked when a branch is selected, so that a name no repository
// can have is refused with a clear message instead of failing later, at
// resolve, or reaching a terminal or a log with control characters in it.
//
// Thread safety: a pure function.
#ifndef TETHER_ENGINE_PROJECTS_BRANCH_NAME_H_
#define TETHER_ENGINE_PROJECTS_BRANCH_NAME_H_

#include <string_view>

#include "tether/status.h"

namespace tether::projects {

// OK when `name` is a valid branch name; otherwise InvalidArgument
// 'branch name "<name>" is not valid: <reason>', with the name escaped
// (sync::DisplayPath: control characters and '\' as \xNN). Beyond git's
// rules, the name must be valid UTF-8 (it is stored as text).
Status CheckBranchName(std::string_view name);

}  // namespace tether::projects

#endif  // TETHER_ENGINE_PROJECTS_BRANCH_NAME_H_
