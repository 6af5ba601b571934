#include "engine/projects/project_service.h"

#include <memory>
#include <vector>

#include "engine/projects/branch_name.h"
#include "engine/schedule/schedule.h"
#include "engine/sync/tree_diff.h"
#include "shared/clock.h"
#include "tether/provider.h"
#include "tether/storage.h"

namespace tether::projects {
namespace {

void SetField(Refusal* out, ProjectField value, bool malformed = false) {
  if (out != nullptr) *out = Refusal{value, malformed};
}

}  // namespace

const char* ProjectFieldName(ProjectField field) {
  switch (field) {
    case ProjectField::kNone: return "";
    case ProjectField::kName: return "name";
    case ProjectField::kProvider: return "provider";
    case ProjectField::kStorage: return "storage";
    case ProjectField::kRepo: return "repo";
    case ProjectField::kBranch: return "branch";
    case ProjectField::kSchedule: return "schedule";
  }
  return "";
}

Status RequireBranch(const BranchList& branches, const std::string& branch, const std::string& repo_url) {
  for (const Branch& b : branches.branches) {
    if (b.name == branch) return Status::Ok();
  }
  std::string known;
  size_t shown = 0;
  for (const Branch& b : branches.branches) {
    if (shown++ == 10) {
      known += ", ...";
      break;
    }
    known += (known.empty() ? "" : ", ") + b.name;
  }
  return Status::NotFound("branch \"" + branch + "\" does not exist in " + repo_url +
                          (known.empty() ? std::string(" (it has no branches)") : " (branches: " + known + ")"));
}

Result<BranchList> ProjectService::Branches(const db::Project& project) {
  Result<Provider*> provider = plugins_->FindProvider(project.provider);
  if (!provider.ok()) return provider.status();
  Result<std::unique_ptr<Repository>> repo = (*provider)->Open(project.repo_url);
  if (!repo.ok()) return repo.status();
  return (*repo)->ListBranches();
}

Result<BranchPreview> ProjectService::PreviewBranch(const db::Project& project, const std::string& branch) {
  Result<Provider*> provider = plugins_->FindProvider(project.provider);
  if (!provider.ok()) return provider.status();
  Result<Storage*> storage = plugins_->FindStorage(project.storage);
  if (!storage.ok()) return storage.status();
  Result<std::unique_ptr<Repository>> repo = (*provider)->Open(project.repo_url);
  if (!repo.ok()) return repo.status();
  BranchPreview preview;
  Result<CommitId> head = (*repo)->ResolveBranch(branch);
  if (!head.ok()) return head.status();
  preview.head = *head;
  const ProjectRef ref{project.id, project.tenant_id};
  Result<CommitId> cursor = (*storage)->ReadCursor(ref);
  if (!cursor.ok()) return cursor.status();
  if (*cursor == *head) return preview;
  std::vector<Change> changes;
  Result<sync::DiffBasis> basis =
      sync::DiffToHead(repo->get(), *storage, ref, *cursor, *head, /*compare_stored=*/false, {}, &changes);
  if (!basis.ok()) return basis.status();
  for (const Change& c : changes) {
    switch (c.kind) {
      case ChangeKind::kAdded: ++preview.added; break;
      case ChangeKind::kModified: ++preview.modified; break;
      case ChangeKind::kDeleted: ++preview.deleted; break;
      case ChangeKind::kRenamed: ++preview.renamed; break;
    }
  }
  return preview;
}

Result<db::Project> ProjectService::Add(const AddProjectRequest& request, Refusal* refusal) {
  SetField(refusal, ProjectField::kName, true);
  TETHER_RETURN_IF_ERROR(db::ValidateProjectName(request.name));
  std::optional<std::string> schedule;
  if (!request.schedule.empty()) {
    SetField(refusal, ProjectField::kSchedule, true);
    Result<schedule::Schedule> parsed = schedule::ParseSchedule(request.schedule);
    if (!parsed.ok()) return parsed.status();
    schedule = schedule::StoredText(*parsed);
  }
  if (!request.branch.empty()) {
    SetField(refusal, ProjectField::kBranch, true);
    TETHER_RETURN_IF_ERROR(CheckBranchName(request.branch));
  }
  db::Project candidate;
  candidate.name = request.name;
  candidate.provider = request.provider.empty() ? defaults_->provider : request.provider;
  candidate.storage = request.storage.empty() ? defaults_->storage : request.storage;

  SetField(refusal, ProjectField::kStorage);
  Result<Storage*> storage = plugins_->FindStorage(candidate.storage);
  if (!storage.ok()) return storage.status();
  SetField(refusal, ProjectField::kProvider);
  Result<Provider*> provider = plugins_->FindProvider(candidate.provider);
  if (!provider.ok()) return provider.status();
  // The provider says what the URL means for every later run (a relative
  // path made absolute); a URL it cannot read so is malformed input.
  SetField(refusal, ProjectField::kRepo, true);
  Result<std::string> repo_url =
      plugins_->CanonicalRepoUrl(candidate.provider, request.repo, request.working_directory);
  if (!repo_url.ok()) return repo_url.status();
  candidate.repo_url = std::move(repo_url).value();
  SetField(refusal, ProjectField::kRepo);
  Result<BranchList> branches = Branches(candidate);
  if (!branches.ok()) return branches.status();

  SetField(refusal, ProjectField::kBranch);
  candidate.branch = request.branch.empty() ? branches->default_branch : request.branch;
  if (candidate.branch.empty()) {
    return Status::InvalidArgument("repository " + candidate.repo_url +
                                   " has no default branch; name the branch to sync");
  }
  TETHER_RETURN_IF_ERROR(RequireBranch(*branches, candidate.branch, candidate.repo_url));

  SetField(refusal, ProjectField::kName);
  db::NewProject project;
  project.name = candidate.name;
  project.tenant_id = request.tenant_id;
  project.provider = candidate.provider;
  project.storage = candidate.storage;
  project.repo_url = candidate.repo_url;
  project.branch = candidate.branch;
  db::ProjectStore store(db_);
  Result<db::Project> added = Status::Internal("not added");
  Status stored = db_->InTransaction([&]() -> Status {
    added = store.Add(project);
    if (!added.ok()) return added.status();
    if (!schedule) return Status::Ok();
    TETHER_RETURN_IF_ERROR(store.SetSchedule(added->id, schedule, std::nullopt));
    added->schedule = *schedule;
    return Status::Ok();
  });
  if (!stored.ok()) added = stored;
  if (added.ok()) SetField(refusal, ProjectField::kNone);
  return added;
}

Status ProjectService::Update(const db::Project& project, const ProjectUpdate& update, Refusal* refusal) {
  SetField(refusal, ProjectField::kNone);
  if (update.branch.has_value()) {
    SetField(refusal, ProjectField::kBranch, true);
    Status valid = CheckBranchName(*update.branch);
    if (!valid.ok()) return valid.WithContext("branch left at \"" + project.branch + "\"");
    SetField(refusal, ProjectField::kBranch);
    Result<BranchList> branches = Branches(project);
    if (!branches.ok()) return branches.status();
    Status has_branch = RequireBranch(*branches, *update.branch, project.repo_url);
    if (!has_branch.ok()) return has_branch.WithContext("branch left at \"" + project.branch + "\"");
    SetField(refusal, ProjectField::kNone);
  }
  std::optional<std::string> schedule;
  if (update.schedule.has_value() && !update.schedule->empty()) {
    SetField(refusal, ProjectField::kSchedule, true);
    Result<schedule::Schedule> parsed = schedule::ParseSchedule(*update.schedule);
    if (!parsed.ok()) return parsed.status().WithContext("schedule left as it was");
    schedule = schedule::StoredText(*parsed);
    SetField(refusal, ProjectField::kNone);
  }
  db::ProjectStore store(db_);
  return db_->InTransaction([&]() -> Status {
    if (update.branch.has_value()) TETHER_RETURN_IF_ERROR(store.SetBranch(project.id, *update.branch));
    if (update.schedule.has_value()) TETHER_RETURN_IF_ERROR(store.SetSchedule(project.id, schedule, std::nullopt));
    if (update.sync_enabled.has_value()) {
      TETHER_RETURN_IF_ERROR(store.SetEnabled(project.id, *update.sync_enabled));
    }
    return Status::Ok();
  });
}

Status ProjectService::Remove(const db::Project& project, const std::string& who) {
  db::ProjectStore projects(db_);
  const std::string owner = "remove:" + who + ":" + NowIso8601();
  Result<db::LeaseGrant> leased = projects.AcquireLease(project.id, owner, "", 300);
  if (!leased.ok()) return leased.status();
  if (!leased->acquired) {
    return Status::Conflict("project \"" + project.name + "\" is being synced; delete it when the run has finished");
  }
  Status removed = [&]() -> Status {
    Result<Storage*> storage = plugins_->FindStorage(project.storage);
    if (!storage.ok()) {
      return storage.status().WithContext("cannot remove project \"" + project.name +
                                          "\": its storage cannot forget its documents");
    }
    TETHER_RETURN_IF_ERROR((*storage)->DeleteProject(ProjectRef{project.id, project.tenant_id}));
    return projects.Remove(project.id);
  }();
  if (removed.ok()) return removed;
  Status released = projects.ReleaseLease(project.id, owner);
  if (released.ok()) return removed;
  // Both are told: the lease left behind keeps syncs off the project until
  // it expires.
  return Status(removed.code(), removed.message() +
                                    "; syncs of the project are refused until its lease expires (5 minutes): " +
                                    released.message());
}

}  // namespace tether::projects
