// RAII ownership of libgit2 objects, and the one-time libgit2 initialisation.
// Part of git-common, the code the libgit2-based providers (local-git,
// github) share; each plugin links its own copy (a static library with
// hidden symbols), so nothing here is visible outside a plugin.
//
// Every libgit2 object the plugin creates is held by one of the unique_ptr
// aliases below, so it is freed on every path, early returns included.
// Objects borrowed from libgit2 (a git_tree_entry owned by its git_tree, the
// message of git_error_last) are never wrapped.
//
// Thread safety: a handle is used by one thread at a time, like the
// Repository that owns it. EnsureLibgit2Initialized may be called from any
// thread.
#ifndef TETHER_PLUGINS_GIT_COMMON_GIT_HANDLES_H_
#define TETHER_PLUGINS_GIT_COMMON_GIT_HANDLES_H_

#include <git2.h>

#include <memory>

namespace tether {
namespace git_common {

// Calls git_libgit2_init() exactly once per process. libgit2 is never shut
// down: plugins stay loaded for the life of the process, and other threads
// may still hold repositories while the host exits.
//
// libgit2 1.5's git_libgit2_init sets up every subsystem, TLS included: with
// the mbedTLS build Debian 12 ships, it parses the system's CA bundle
// (/etc/ssl/certs/ca-certificates.crt), 7-12 ms measured, even for a local
// repository. No option or environment variable skips or defers that part
// (GIT_OPT_SET_SSL_CERT_LOCATIONS loads certificates again, after the
// init), so a provider that may not need libgit2 calls this only when it
// does.
void EnsureLibgit2Initialized();

// Frees a libgit2 object with its own free function.
template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* object) const { Free(object); }
};

template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using BranchIteratorPtr = GitPtr<git_branch_iterator, git_branch_iterator_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_GIT_HANDLES_H_
