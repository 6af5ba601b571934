#include "git-common/mirror.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>

#include "git-common/file_lock.h"
#include "git-common/git_status.h"

namespace tether {
namespace git_common {
namespace {

constexpr char kRemote[] = "origin";
constexpr char kMirrorRefspec[] = "+refs/heads/*:refs/heads/*";

using ReferenceIteratorPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;

}  // namespace

Mirror::Mirror(MirrorFetcher* fetcher, std::string folder, std::string url, std::string display)
    : fetcher_(fetcher), folder_(std::move(folder)), url_(std::move(url)), display_(std::move(display)) {}

Result<std::unique_ptr<Mirror>> Mirror::Open(MirrorFetcher* fetcher, const std::string& folder,
                                             const std::string& url, const std::string& display) {
  std::unique_ptr<Mirror> mirror(new Mirror(fetcher, folder, url, display));
  FileLock lock;
  TETHER_RETURN_IF_ERROR(lock.Lock(mirror->lock_file()));
  TETHER_RETURN_IF_ERROR(mirror->OpenLocked());
  return mirror;
}

Status Mirror::OpenLocked() {
  std::error_code error;
  if (std::filesystem::exists(git_dir(), error)) {
    git_repository* raw = nullptr;
    const int opened =
        git_repository_open_ext(&raw, git_dir().c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    RepositoryPtr repo(raw);
    Status verified = opened < 0 ? GitErrorStatus(opened, "it does not open") : VerifyLocked(repo.get());
    if (verified.ok()) {
      repo_ = std::move(repo);
    } else {
      repo.reset();
      TETHER_RETURN_IF_ERROR(MoveAsideLocked(verified.message()));
    }
  }
  if (repo_ == nullptr) {
    TETHER_RETURN_IF_ERROR(CloneLocked());
    git_repository* raw = nullptr;
    const int opened =
        git_repository_open_ext(&raw, git_dir().c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    repo_.reset(raw);
    if (opened < 0) {
      return GitErrorStatus(opened, "cannot open the new mirror of " + display_ + " at " + git_dir());
    }
  }
  git_odb* raw_odb = nullptr;
  const int odb_error = git_repository_odb(&raw_odb, repo_.get());
  odb_.reset(raw_odb);
  if (odb_error < 0) {
    return GitErrorStatus(odb_error, "cannot open the objects of the mirror of " + display_);
  }
  return Status::Ok();
}

Status Mirror::VerifyLocked(git_repository* repo) {
  if (!git_repository_is_bare(repo)) return Status::Internal("it is not a bare repository");
  git_remote* raw_remote = nullptr;
  const int remote_error = git_remote_lookup(&raw_remote, repo, kRemote);
  RemotePtr remote(raw_remote);
  if (remote_error < 0) return Status::Internal("it has no remote 'origin'");
  const char* url = git_remote_url(remote.get());
  if (url == nullptr || url_ != url) {
    return Status::Internal("its origin is '" + std::string(url == nullptr ? "" : url) +
                            "', not '" + url_ + "'");
  }
  // Every branch must point at a commit that reads: a truncated pack or a
  // lost object shows up here, before a sync trusts the mirror.
  git_reference_iterator* raw_iterator = nullptr;
  const int iterator_error = git_reference_iterator_glob_new(&raw_iterator, repo, "refs/heads/*");
  ReferenceIteratorPtr iterator(raw_iterator);
  if (iterator_error < 0) return GitErrorStatus(iterator_error, "its branches do not read");
  while (true) {
    git_reference* raw_ref = nullptr;
    const int next = git_reference_next(&raw_ref, iterator.get());
    ReferencePtr ref(raw_ref);
    if (next == GIT_ITEROVER) break;
    if (next < 0) return GitErrorStatus(next, "its branches do not read");
    git_object* raw_commit = nullptr;
    const int peeled = git_reference_peel(&raw_commit, ref.get(), GIT_OBJECT_COMMIT);
    ObjectPtr commit(raw_commit);
    if (peeled < 0) {
      return GitErrorStatus(peeled, std::string("branch ") + git_reference_name(ref.get()) +
                                        " does not point at a readable commit");
    }
  }
  return Status::Ok();
}

Status Mirror::MoveAsideLocked(const std::string& why) {
  const std::string aside = git_dir() + ".corrupt-" + std::to_string(std::time(nullptr));
  std::error_code error;
  std::filesystem::rename(git_dir(), aside, error);
  if (error) {
    return Status::Internal("the mirror of " + display_ + " at " + git_dir() + " is unusable (" +
                            why + ") and cannot be moved aside: " + error.message());
  }
  return Status::Ok();
}

Status Mirror::CloneLocked() {
  std::error_code error;
  std::filesystem::create_directories(folder_, error);
  if (error) return Status::Internal("cannot create the mirror folder '" + folder_ + "': " + error.message());
  static std::atomic<unsigned> counter{0};
  const std::string temporary = git_dir() + ".new-" + std::to_string(getpid()) + "-" +
                                std::to_string(counter.fetch_add(1));
  // Under the lock no other clone runs: a "mirror.git.new-*" left here is
  // what a crashed clone left behind.
  for (const auto& entry : std::filesystem::directory_iterator(folder_, error)) {
    if (entry.path().filename().string().rfind("mirror.git.new-", 0) == 0) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }

  git_repository* raw = nullptr;
  const int init_error = git_repository_init(&raw, temporary.c_str(), /*is_bare=*/1);
  RepositoryPtr repo(raw);
  if (init_error < 0) {
    return GitErrorStatus(init_error, "cannot create a mirror of " + display_ + " at " + temporary);
  }
  git_remote* raw_remote = nullptr;
  const int remote_error = git_remote_create_with_fetchspec(&raw_remote, repo.get(), kRemote,
                                                            url_.c_str(), kMirrorRefspec);
  RemotePtr remote(raw_remote);
  if (remote_error < 0) {
    repo.reset();
    std::filesystem::remove_all(temporary, error);
    return GitErrorStatus(remote_error, "cannot set up the mirror of " + display_);
  }
  remote.reset();
  Status fetched = fetcher_->Fetch(repo.get(), temporary, url_, "clone of " + display_);
  repo.reset();
  if (!fetched.ok()) {
    std::filesystem::remove_all(temporary, error);
    return fetched;
  }
  std::filesystem::rename(temporary, git_dir(), error);
  if (error) {
    std::filesystem::remove_all(temporary, error);
    return Status::Internal("cannot move the new mirror of " + display_ + " into place at " +
                            git_dir() + ": " + error.message());
  }
  return Status::Ok();
}

Status Mirror::Fetch(const std::string& wanted) {
  FileLock lock;
  TETHER_RETURN_IF_ERROR(lock.Lock(lock_file()));
  if (!wanted.empty()) {
    // Someone else may have fetched while this thread waited for the lock.
    git_oid oid;
    if (git_oid_fromstrn(&oid, wanted.data(), wanted.size()) == 0) {
      git_odb_refresh(odb_.get());
      if (git_odb_exists(odb_.get(), &oid) == 1) return Status::Ok();
    }
  }
  TETHER_RETURN_IF_ERROR(fetcher_->Fetch(repo_.get(), git_dir(), url_, "fetch of " + display_));
  git_odb_refresh(odb_.get());
  return Status::Ok();
}

}  // namespace git_common
}  // namespace tether
