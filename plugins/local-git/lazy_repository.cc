#include "lazy_repository.h"

#include <dlfcn.h>

#include <exception>
#include <mutex>
#include <optional>
#include <utility>

#include "libgit2_half.h"
#include "plain_refs.h"
#include "repo_url.h"

namespace tether {
namespace local_git {
namespace {

// The libgit2 half's Open, loaded once per process from beside this
// plugin; the handle is never closed (repositories may outlive anything).
Result<Libgit2OpenFn> Libgit2Half() {
  static std::once_flag once;
  static Libgit2OpenFn open = nullptr;
  static std::string error;
  std::call_once(once, [] {
    Dl_info self{};
    if (::dladdr(reinterpret_cast<void*>(&Libgit2Half), &self) == 0 || self.dli_fname == nullptr) {
      error = "local-git cannot find its own file to load its libgit2 half";
      return;
    }
    std::string path = self.dli_fname;
    const size_t slash = path.rfind('/');
    path = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + kLibgit2HalfFile;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      error = "local-git cannot load its libgit2 half " + path + ": " + (why != nullptr ? why : "unknown error");
      return;
    }
    open = reinterpret_cast<Libgit2OpenFn>(::dlsym(handle, kLibgit2OpenSymbol));
    if (open == nullptr) error = "local-git: " + path + " has no " + kLibgit2OpenSymbol;
  });
  if (open == nullptr) return Status::Internal(error);
  return open;
}

class LazyRepository final : public Repository {
 public:
  LazyRepository(std::string url, std::string path, std::string plain_git_dir, const AllowedRoots* roots)
      : url_(std::move(url)), path_(std::move(path)), plain_git_dir_(std::move(plain_git_dir)) {
    if (roots != nullptr) roots_ = *roots;
  }

  // Loads the half and opens the repository with libgit2, once.
  Result<Repository*> Opened() {
    if (opened_ != nullptr) return opened_.get();
    Result<Libgit2OpenFn> open = Libgit2Half();
    if (!open.ok()) return open.status();
    Result<std::unique_ptr<Repository>> repository = Status::Internal("local-git: the libgit2 half returned nothing");
    (*open)(&url_, &path_, roots_ ? &*roots_ : nullptr, &repository);
    if (!repository.ok()) return repository.status();
    opened_ = std::move(repository).value();
    return opened_.get();
  }

  bool plain() const { return !plain_git_dir_.empty(); }

  Result<BranchList> ListBranches() override {
    return Forward([&](Repository* r) { return r->ListBranches(); });
  }
  Result<CommitId> ResolveBranch(const std::string& branch) override {
    return Forward([&](Repository* r) { return r->ResolveBranch(branch); });
  }
  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) override {
    return Forward([&](Repository* r) { return r->IsAncestor(ancestor, commit); });
  }
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) override {
    return Forward([&](Repository* r) { return r->Diff(from, to, sink); });
  }
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) override {
    return Forward([&](Repository* r) { return r->ReadBlob(id, max_bytes); });
  }
  bool BranchIsAt(const std::string& branch, const CommitId& commit) override {
    try {
      if (opened_ == nullptr) return PlainBranchIsAt(plain_git_dir_, branch, commit);
      return opened_->BranchIsAt(branch, commit);
    } catch (...) {
      return false;
    }
  }

 private:
  // Calls `method` on the opened repository; an error opening it, or an
  // exception (out of memory), is its result.
  template <typename Method>
  auto Forward(Method&& method) -> decltype(method(static_cast<Repository*>(nullptr))) {
    try {
      Result<Repository*> opened = Opened();
      if (!opened.ok()) return opened.status();
      return method(*opened);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("local-git: ") + e.what());
    }
  }

  const std::string url_;            // as the caller gave it; used in messages
  const std::string path_;           // the checked local path
  const std::string plain_git_dir_;  // PlainGitDir(path_), "" when not plain
  std::optional<AllowedRoots> roots_;       // a copy of the provider's
  std::unique_ptr<Repository> opened_;      // the libgit2 half's, once opened
};

}  // namespace

Result<std::unique_ptr<Repository>> OpenLocalRepository(const std::string& url, const AllowedRoots* roots) {
  try {
    std::string path;
    TETHER_RETURN_IF_ERROR(LocalPathFromUrl(url, &path));
    // The resolved path is what is opened, so that nothing between the
    // check and the open can lead elsewhere through a symlink in `url`.
    if (roots != nullptr) TETHER_RETURN_IF_ERROR(roots->Resolve(url, path, &path));
    TETHER_RETURN_IF_ERROR(CheckRepositoryDirectory(url, path));
    std::string plain_git_dir = PlainGitDir(path);
    auto repository = std::make_unique<LazyRepository>(url, std::move(path), std::move(plain_git_dir), roots);
    // A layout BranchIsAt cannot read is opened now, so that Open reports
    // what is wrong with it.
    if (!repository->plain()) {
      Result<Repository*> opened = repository->Opened();
      if (!opened.ok()) return opened.status();
    }
    return std::unique_ptr<Repository>(std::move(repository));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("local-git Open: ") + e.what());
  }
}

}  // namespace local_git
}  // namespace tether
