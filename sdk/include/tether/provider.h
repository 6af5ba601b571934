// Provider: where synced content comes from (a local git repository, GitHub,
// or anything that can show a tree of files: a provider needs no git
// history, see "Commits without history" below).
//
// Repositories: Provider::Open gives a Repository for one repository URL.
// The host opens as many as it needs and promises nothing about how many:
// a sync opens one, and a second one for the same URL to read blobs in
// parallel while it writes a large change set; listing a project's
// branches, adding a project and `tether verify` open their own, possibly
// while a sync of the same URL runs. Other host processes (a CLI sync next
// to a server) may have the same URL open too. Repository objects of one
// URL must not disturb each other: state they share (a cache, a mirror) is
// the provider's to lock.
//
// No call order is promised on a Repository: any method may be the first
// one. In particular ReadBlob may be the first call on a fresh Repository,
// with a blob id that Diff gave out on another Repository of the same
// provider and URL (the second reader of a sync). The host destroys every
// Repository before the Provider.
//
// Thread safety: Provider::Open, CanonicalRepoUrl and MatchesRepository may
// be called from several threads at once, and while Repository objects are
// in use. Separate Repository objects may be used concurrently from
// different threads. One Repository is never called from two threads at
// once, but it may be used from different threads one after the other (the
// thread that diffs hands it to a blob reader thread), so it must not keep
// per-thread state between calls.
//
// Ids: CommitId and BlobId (types.h) are opaque to the host: non-empty
// strings of printable ASCII without spaces (a sync that meets another
// fails, storing nothing), which the host only compares for equality,
// stores and shows (often cut to their first 12 characters, so they had
// better differ early). They need not be 40 hex digits nor hashes of
// anything git knows. What the host relies on:
//   - A commit id always names the same tree. The host keeps the id it
//     synced as the project's cursor, and does nothing when the branch
//     resolves to that id again. (Two ids may name equal trees, as two git
//     commits may; a sync between them changes nothing.)
//   - A blob id names content: entries with equal blob ids have equal bytes,
//     and changed bytes get a new id. The host keeps a stored row, and what
//     was derived from it, when its blob id (and mode) are unchanged, and
//     pairs a deleted path with an added one of the same blob id as a
//     rename (a force push, below). For a submodule the "blob" id is the
//     commit it pins.
//
// Commits without history: a provider whose source has no history (a plain
// folder, whose commit id may be a hash of a snapshot of its tree) knows
// only its current commit: IsAncestor(a, b) is true only when a == b is
// that commit, Diff("", c) of an older c is NotFound, and it is never asked
// for a Diff from a non-empty commit. When the cursor is not an
// ancestor of the new head, the host takes the whole tree from Diff("", head)
// and compares it with what the storage holds (the "force_push" mode of a
// sync): rows whose blob id and mode are unchanged stay untouched, so such
// a provider syncs incrementally in effect, at the cost of listing its
// whole tree each time. `tether verify` reports a cursor such a provider no
// longer knows (the next sync compares the whole tree, as above).
//
// Errors: NotFound for a missing repository, branch, commit or blob;
// InvalidArgument for a URL the provider cannot use; Unauthenticated,
// PermissionDenied, RateLimited (with retry_after_seconds) and Unavailable
// for remote providers; Internal for anything else. A method that fails has
// no effect.
#ifndef TETHER_PROVIDER_H_
#define TETHER_PROVIDER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "tether/plugin.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {

class Repository {
 public:
  virtual ~Repository() = default;

  // Every branch with its head, and the default branch (HEAD's target).
  virtual Result<BranchList> ListBranches() = 0;

  // The commit `branch` points at now. NotFound when the branch is gone.
  virtual Result<CommitId> ResolveBranch(const std::string& branch) = 0;

  // Whether `commit` exists in the repository and `ancestor` is reachable
  // from it (a commit is its own ancestor). False, not an error, when
  // `ancestor` is unknown to the repository (for example after a force push
  // and garbage collection, or a folder that changed since). The host asks
  // IsAncestor(c, c) to learn whether the repository still knows c.
  virtual Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) = 0;

  // Streams the changes from commit `from` to commit `to` into `sink`. An
  // empty `from` means "from nothing": every entry of `to` comes as kAdded.
  // The host asks for a non-empty `from` only when IsAncestor(from, to) was
  // true and from != to. Equal subtrees should be skipped, so that the cost
  // follows the size of the change. Exact renames (same blob, new path) may
  // come as kRenamed (or as a delete and an add). Sink errors stop the diff
  // and are returned as they are.
  //
  // The change set: each path appears at most once in it, on either side of
  // any change (a rename names two paths): a set that names a path twice is
  // refused whole by the host, which stores nothing from it and fails the
  // sync naming the path and the provider. Entries are files, executables,
  // symlinks and submodules, never directories (a directory replaced by a
  // file is deletes of its entries and an add). Paths are '/'-separated and
  // relative; a path the host will not store (empty, "." or ".."
  // components, control characters, invalid UTF-8) is skipped and reported
  // by the host, not an error. No order is promised: the host applies the
  // changes in the order they come, and since no path appears twice the
  // order does not change the result (local-git sends git's tree order).
  virtual Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) = 0;

  // Reads blob `id`, any blob id a Diff of this provider gave out for the
  // same URL, on this Repository or another one (see above). Its bytes are
  // returned when the blob is at most `max_bytes` long; otherwise only its
  // size (Blob::truncated is set). NotFound when the blob is gone (for
  // example a folder whose file changed since the diff): the sync fails and
  // stores nothing.
  virtual Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) = 0;

  // Since SDK ABI 3.7. Whether `branch` points at `commit` now, when the
  // provider can tell cheaply and for certain: the host asks with the
  // commit it last synced before it resolves the branch, and a true answer
  // ends the run as a no-op without ResolveBranch, so a scheduler's
  // resync of an unchanged project costs what reading one ref costs.
  // `commit` is always a commit id this provider's ResolveBranch gave out
  // for the same URL. True only when ResolveBranch(branch) would certainly
  // return `commit`; false when it would not, or when the provider cannot
  // tell without the work ResolveBranch does (the host then resolves the
  // branch as usual). Never an error: any failure is false.
  //
  // The default answers false. The host calls it only on repositories of
  // providers built with ABI minor >= 7.
  virtual bool BranchIsAt(const std::string& branch, const CommitId& commit) {
    (void)branch;
    (void)commit;
    return false;
  }
};

// Since SDK ABI 3.1. A repository as a forge's change notification names it
// (a GitHub push webhook): what the payload says, so possibly hostile. The
// host makes it; a provider reads it during the call it is passed to and
// keeps no reference. What the host checked: forge and full_name are never
// empty, full_name is "owner/name" (one '/', neither side empty, "." nor
// "..", at most 100 characters each); a URL is "" when the payload does not
// carry it, else at most 2048 characters; every member is printable ASCII
// without spaces. Nothing else: a URL may name any server or none. Like
// every struct of the SDK it never changes within a major: a later minor
// adds a new struct and a new virtual instead.
struct RepositoryMention {
  std::string forge;      // who sent it: "github" (GitHub or GitHub Enterprise Server)
  std::string full_name;  // the forge's name for it: "Codertocat/Hello-World", as spelled there
  std::string html_url;   // "https://github.com/Codertocat/Hello-World"
  std::string clone_url;  // "https://github.com/Codertocat/Hello-World.git"
  std::string ssh_url;    // "git@github.com:Codertocat/Hello-World.git"
  std::string git_url;    // "git://github.com/Codertocat/Hello-World.git"
  std::string svn_url;    // "https://github.com/Codertocat/Hello-World"
};

class Provider : public Plugin {
 public:
  Provider* AsProvider() override { return this; }

  // Opens the repository at `repo_url` (a path, a file:// URL, or whatever
  // the provider documents). The caller owns the result. Called any number
  // of times, for the same URL too (see the top of this file).
  virtual Result<std::unique_ptr<Repository>> Open(const std::string& repo_url) = 0;

  // The form of `repo_url` to store for a new project, so
  // that it means the same thing to every later run, whatever its working
  // directory. `working_directory` is the absolute directory the user typed
  // `repo_url` in (the CLI's), or "" when there is none (the HTTP API: the
  // server's working directory means nothing to a client). A provider of
  // local paths makes a relative path absolute against it, and refuses one
  // with InvalidArgument when it is "". Called when a project is added,
  // before Open. The default keeps `repo_url` as it is. (Added in ABI 1.1;
  // every plugin of major 3 has it.)
  virtual Result<std::string> CanonicalRepoUrl(const std::string& repo_url,
                                               const std::string& working_directory) {
    (void)working_directory;
    return repo_url;
  }

  // Since SDK ABI 3.1. Whether `repo_url`, a project's stored repository URL
  // (as CanonicalRepoUrl made it), is the repository `mention` names: the
  // host syncs the projects of a pushed repository that follow the pushed
  // branch (or marks them when the branch was deleted), and asks this of
  // the provider of each project that follows that branch. Answer from the
  // two arguments and the provider's settings: no network, nothing that may
  // block (the host asks inside a database transaction, for every such
  // project of every delivery). Be strict: true only when both certainly
  // name the same repository (on the same server, too, for a provider
  // configured for one), false for anything the provider cannot read;
  // `mention` comes from outside. Never throws. Called from any thread,
  // concurrently with itself and every other method.
  //
  // The default answers false: the provider's projects are never synced by
  // a webhook. The host calls this only on plugins built with ABI minor
  // >= 1; for a 3.0 plugin it does not ask, and that plugin's projects are
  // not synced by webhooks (the host's answer to the delivery lists them as
  // skipped, saying why).
  virtual bool MatchesRepository(const std::string& repo_url, const RepositoryMention& mention) {
    (void)repo_url;
    (void)mention;
    return false;
  }
};

}  // namespace tether

#endif  // TETHER_PROVIDER_H_
