// ProjectService: what adding a project and changing its settings mean, for
// every front end (the CLI and the HTTP API): defaults come from the config,
// the named plugins must be loaded, and a selected branch must exist in the
// repository (asked from the provider). A refused change changes nothing.
//
// Ownership: borrows a Database, a loaded PluginHost and the config's
// defaults; all must outlive the service.
// Thread safety: none for the service (its Database is used by one thread);
// the PluginHost may be shared with other threads (it is read-only once
// loaded).
// Errors: InvalidArgument for a bad name, a branch name git would refuse
// (app/branch_name.h), a repository URL the provider cannot use (a relative
// path with no working directory) or a repository without a default
// branch; PermissionDenied for a repository the provider may not open (for
// local-git, one outside its allowed_roots); NotFound for an unknown plugin, repository or branch (the message
// names it and, for a branch, the branches there are); Conflict for a name
// already taken; what the provider reports for a repository it cannot read;
// Unavailable/Internal for database failures.
#ifndef TETHER_ENGINE_PROJECTS_PROJECT_SERVICE_H_
#define TETHER_ENGINE_PROJECTS_PROJECT_SERVICE_H_

#include <optional>
#include <string>

#include "engine/config/config.h"
#include "engine/db/database.h"
#include "engine/db/project_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether::projects {

// The input a refusal is about, so that a front end can point at it (a CLI
// flag, a JSON field).
enum class ProjectField { kNone, kName, kProvider, kStorage, kRepo, kBranch, kSchedule };

// The JSON member name of `field` ("name", "repo", ...); "" for kNone.
const char* ProjectFieldName(ProjectField field);

// What a refusal is about: the input at fault, and whether that input is
// malformed in itself (a bad project or branch name, a relative path where
// there is no working directory: the request is wrong whatever the
// repository holds) rather than refused by what the provider found.
struct Refusal {
  ProjectField field = ProjectField::kNone;
  bool malformed = false;
};

struct AddProjectRequest {
  std::string name;
  std::string tenant_id;  // empty: the connection's tenant (see db::NewProject)
  std::string provider;  // empty: the config's default provider
  std::string storage;   // empty: the config's default storage
  std::string repo;
  std::string branch;    // empty: the repository's default branch
  std::string schedule;  // empty: the config's default (schedule::ParseSchedule reads the rest)
  // The absolute directory `repo` was typed in (the CLI's working
  // directory), against which the provider makes a relative path absolute;
  // empty when there is none (the HTTP API), and then a relative path is
  // refused. See Provider::CanonicalRepoUrl.
  std::string working_directory;
};

// A partial update: only the fields that are set change.
struct ProjectUpdate {
  std::optional<std::string> branch;
  std::optional<bool> sync_enabled;
  // A schedule (schedule::ParseSchedule), or "" for the config's default;
  // its next sync is then due at once.
  std::optional<std::string> schedule;
};

// OK when `branch` is in `branches`; otherwise NotFound naming the branch,
// the repository and (up to ten of) the branches it has.
Status RequireBranch(const BranchList& branches, const std::string& branch, const std::string& repo_url);

// What the next sync would change if the project followed another branch.
struct BranchPreview {
  CommitId head;  // the branch's head now
  int64_t added = 0;
  int64_t modified = 0;
  int64_t deleted = 0;
  int64_t renamed = 0;
  int64_t Files() const { return added + modified + deleted + renamed; }
};

class ProjectService {
 public:
  ProjectService(db::Database* db, const plugin_host::PluginHost* plugins, const config::Defaults* defaults)
      : db_(db), plugins_(plugins), defaults_(defaults) {}

  // Checks and adds a project: the repository URL is stored in the form the
  // provider gives it (an absolute path for local-git), and the provider
  // must be able to open it. On failure `*refusal` (when given) says what
  // was refused.
  Result<db::Project> Add(const AddProjectRequest& request, Refusal* refusal = nullptr);

  // The project's repository's branches, from its provider.
  Result<BranchList> Branches(const db::Project& project);

  // Applies `update` to `project` in one transaction, after checking a new
  // branch's name and asking the provider whether it exists. On failure
  // nothing changed and `*refusal` (when given) says what was refused; a
  // refused branch's message says that the old selection stays.
  Status Update(const db::Project& project, const ProjectUpdate& update, Refusal* refusal = nullptr);

  // The change the next sync would make if the project followed `branch`
  // (an existing one): from what is stored to the branch's head, as the
  // sync computes it (engine/sync/tree_diff.h). Errors: the provider's and
  // the storage's.
  Result<BranchPreview> PreviewBranch(const db::Project& project, const std::string& branch);

  // Removes the project: its storage forgets what it keeps for it
  // (documents, derived data, cursor), then the engine deletes its rows.
  // Holds the project's lease meanwhile, so no sync starts; Conflict when a
  // sync holds it (`who` names the remover in the lease). When the storage
  // cannot forget (its plugin is not loaded, the database fails) nothing is
  // removed.
  Status Remove(const db::Project& project, const std::string& who);

 private:
  db::Database* db_;
  const plugin_host::PluginHost* plugins_;
  const config::Defaults* defaults_;
};

}  // namespace tether::projects

#endif  // TETHER_ENGINE_PROJECTS_PROJECT_SERVICE_H_
