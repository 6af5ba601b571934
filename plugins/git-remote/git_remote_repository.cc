#include "git_remote_repository.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

#include "git-common/cache_names.h"

namespace tether {
namespace git_remote {
namespace {

// <cache_dir>/<host[_port]>/<last path part>-<hash of the URL>: one mirror
// per URL as written (the mirror checks its origin is exactly that URL).
std::string MirrorFolder(const std::string& cache_dir, const RemoteUrl& url) {
  std::string name = url.path;
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  name = name.substr(name.rfind('/') + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".git") == 0) name.resize(name.size() - 4);
  return cache_dir + "/" + git_common::SafeName(AsciiLower(url.host) + (url.port.empty() ? "" : "_" + url.port)) + "/" +
         git_common::SafeName(name).substr(0, 60) + "-" + git_common::Fnv1a(url.text);
}

}  // namespace

GitRemoteRepository::GitRemoteRepository(std::shared_ptr<const Shared> shared, RemoteUrl url)
    : shared_(std::move(shared)),
      url_(std::move(url)),
      content_(
          [this] {
            return git_common::Mirror::Open(shared_->cli.get(), MirrorFolder(shared_->settings.cache_dir, url_),
                                            url_.text, url_.text);
          },
          url_.text, url_.text + " (no branch of the remote reaches it)") {}

template <typename Body>
auto GitRemoteRepository::Guarded(const char* operation, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("git-remote ") + operation + " of " + url_.text + ": " + e.what());
  } catch (...) {
    return Status::Internal(std::string("git-remote ") + operation + " of " + url_.text + ": unknown exception");
  }
}

Result<std::unique_ptr<Repository>> GitRemoteRepository::Open(std::shared_ptr<const Shared> shared,
                                                              const std::string& url) {
  try {
    Result<RemoteUrl> parsed = shared->cli->Parse(url);
    if (!parsed.ok()) return parsed.status();
    return std::unique_ptr<Repository>(new GitRemoteRepository(std::move(shared), std::move(parsed).value()));
  } catch (const std::exception& e) {
    return Status::Internal("git-remote Open of '" + url + "': " + e.what());
  } catch (...) {
    return Status::Internal("git-remote Open of '" + url + "': unknown exception");
  }
}

Result<BranchList> GitRemoteRepository::ListBranches() {
  return Guarded("ListBranches", [&]() -> Result<BranchList> {
    Result<std::vector<RemoteHead>> heads = shared_->cli->ListHeads(url_);
    if (!heads.ok()) return heads.status();
    Result<std::string> default_branch = shared_->cli->DefaultBranch(url_);
    if (!default_branch.ok()) return default_branch.status();
    BranchList list;
    for (const RemoteHead& head : *heads) {
      if (!git_common::IsFullObjectId(head.commit)) continue;  // not a commit id git-common can read
      list.branches.push_back({head.branch, head.commit, head.branch == *default_branch});
      if (head.branch == *default_branch) list.default_branch = head.branch;
    }
    std::sort(list.branches.begin(), list.branches.end(),
              [](const Branch& a, const Branch& b) { return a.name < b.name; });
    return list;
  });
}

Result<CommitId> GitRemoteRepository::ResolveBranch(const std::string& branch) {
  return Guarded("ResolveBranch", [&]() -> Result<CommitId> {
    Result<std::vector<RemoteHead>> heads = shared_->cli->ListHeads(url_);
    if (!heads.ok()) return heads.status();
    for (const RemoteHead& head : *heads) {
      if (head.branch != branch) continue;
      if (!git_common::IsFullObjectId(head.commit)) {
        return Status::Internal("branch '" + branch + "' of " + url_.text + " points at '" + head.commit +
                                "', not a commit id of 40 hex digits");
      }
      return CommitId(head.commit);
    }
    return Status::NotFound("branch '" + branch + "' not found in " + url_.text);
  });
}

Result<bool> GitRemoteRepository::IsAncestor(const CommitId& ancestor, const CommitId& commit) {
  return Guarded("IsAncestor", [&] { return content_.IsAncestor(ancestor, commit); });
}

Status GitRemoteRepository::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  // Guarded works on Results; this one carries the Status (a sink's error
  // unchanged) or true.
  Result<bool> done = Guarded("Diff", [&]() -> Result<bool> {
    TETHER_RETURN_IF_ERROR(content_.Diff(from, to, sink));
    return true;
  });
  return done.ok() ? Status::Ok() : done.status();
}

Result<Blob> GitRemoteRepository::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  return Guarded("ReadBlob", [&] { return content_.ReadBlob(id, max_bytes); });
}

}  // namespace git_remote
}  // namespace tether
