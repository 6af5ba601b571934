#include "engine/conformance/provider_kit.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/common/sha256.h"
#include "engine/conformance/fixture_adapter.h"
#include "engine/sync/content_rules.h"

namespace tether::conformance {

namespace {

constexpr const char* kNoThrow = kNoThrowContract;
constexpr char kOpenMissing[] = "open-missing";
constexpr char kBranches[] = "branches";
constexpr char kMissingBranch[] = "missing-branch";
constexpr char kIds[] = "ids";
constexpr char kTree[] = "tree";
constexpr char kPathsOnce[] = "paths-once";
constexpr char kContent[] = "content";
constexpr char kBlobIds[] = "blob-ids";
constexpr char kMaxBytes[] = "max-bytes";
constexpr char kFreshRead[] = "fresh-read";
constexpr char kMissingBlob[] = "missing-blob";
constexpr char kMissingCommit[] = "missing-commit";
constexpr char kAncestry[] = "ancestry";
constexpr char kIncremental[] = "incremental";
constexpr char kRenames[] = "renames";
constexpr char kStable[] = "stable";
constexpr char kSinkError[] = "sink-error";
constexpr char kSlowSink[] = "slow-sink";
constexpr char kConcurrency[] = "concurrency";
constexpr char kDeletedBranch[] = "deleted-branch";
constexpr char kForcePush[] = "force-push";
constexpr char kBranchIsAt[] = "branch-is-at";
constexpr char kSynced[] = "synced";

constexpr char kMain[] = "main";
constexpr char kFeature[] = "feature/x";
constexpr int kManyBranches = 6;
constexpr uint64_t kWholeBlob = uint64_t{1} << 40;
constexpr uint64_t kLargeSize = (uint64_t{1} << 20) + 17;

using Tree = std::map<std::string, Entry>;  // what a provider gave, by path

std::string Quoted(const std::string& path) { return "\"" + ShownPath(path) + "\""; }

uint32_t ModeOf(EntryKind kind) {
  switch (kind) {
    case EntryKind::kFile: return 0100644;
    case EntryKind::kExecutable: return 0100755;
    case EntryKind::kSymlink: return 0120000;
    case EntryKind::kSubmodule: return 0160000;
  }
  return 0;
}

std::string Octal(uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof(text), "%o", mode);
  return text;
}

bool IdOk(const std::string& id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// An id of the same shape as `id` that names nothing the kit has seen: one
// character changed, a hex digit to another hex digit.
std::string UnknownLike(const std::string& id, const std::set<std::string>& known) {
  for (size_t back = 1; back <= id.size(); ++back) {
    std::string other = id;
    char& c = other[id.size() - back];
    if (c >= '0' && c <= '8') {
      ++c;
    } else if (c == '9') {
      c = 'a';
    } else if ((c >= 'a' && c < 'f') || (c >= 'A' && c < 'F')) {
      ++c;
    } else if (c == 'f' || c == 'F') {
      c = '0';
    } else {
      continue;
    }
    if (known.count(other) == 0) return other;
  }
  return id + "0";
}

std::string Described(const Status& status) { return status.ok() ? "OK" : status.ToString(); }

// Large, deterministic and not compressible to nothing.
std::string LargeBytes() {
  std::string bytes(kLargeSize, '\0');
  uint32_t x = 2463534242u;
  for (char& c : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return bytes;
}

FixtureTree FirstTree() {
  std::string bytes;
  for (int i = 0; i < 1024; ++i) bytes.push_back(static_cast<char>(i & 0xff));
  auto file = [](std::string text) { return FixtureFile{EntryKind::kFile, std::move(text)}; };
  return FixtureTree{
      {"README.md", file("# conformance fixture\n")},
      {"src/main.c", file("int main(void) { return 0; }\n")},
      {"src/util/strings.h", file("#pragma once\nint length(const char* s);\n")},
      {"bin/run.sh", {EntryKind::kExecutable, "#!/bin/sh\necho run\n"}},
      {"link-to-readme", {EntryKind::kSymlink, "README.md"}},
      {"link-retarget", {EntryKind::kSymlink, "src/main.c"}},
      {"data/bytes.bin", file(bytes)},
      {"data/large.bin", file(LargeBytes())},
      {"empty.txt", file("")},
      {"same-a.txt", file("the same bytes\n")},
      {"same-b.txt", file("the same bytes\n")},
      {"names/with space.txt", file("a space\n")},
      {"names/-leading-dash", file("a dash\n")},
      {"names/tab\there.txt", file("a tab\n")},
      {"names/\xc3\xbcnic\xc3\xb6" "de.txt", file("UTF-8\n")},
      {"names/not-utf8-\xff\xfe.txt", file("latin-1 bytes\n")},
      {"deep/a/b/c/d/e/f/g/h.txt", file("deep\n")},
      {"to-modify.txt", file("before\n")},
      {"to-delete.txt", file("delete me\n")},
      {"to-rename.txt", file("rename me: bytes no other file has (7f3a)\n")},
      {"mode.sh", file("#!/bin/sh\necho mode\n")},
      {"dir-to-file/inner.txt", file("inner\n")},
      {"file-to-dir", file("a file first\n")},
  };
}

FixtureTree EditedTree(FixtureTree tree) {
  tree["to-modify.txt"].bytes = "after\n";
  tree.erase("to-delete.txt");
  tree["moved/renamed.txt"] = tree["to-rename.txt"];
  tree.erase("to-rename.txt");
  tree["mode.sh"].kind = EntryKind::kExecutable;
  tree["link-retarget"].bytes = "README.md";
  tree.erase("dir-to-file/inner.txt");
  tree["dir-to-file"] = {EntryKind::kFile, "now a file\n"};
  tree.erase("file-to-dir");
  tree["file-to-dir/inner.txt"] = {EntryKind::kFile, "now a folder\n"};
  tree["added.txt"] = {EntryKind::kFile, "added\n"};
  return tree;
}

FixtureTree WithFile(FixtureTree tree, const std::string& path, const std::string& bytes) {
  tree[path] = {EntryKind::kFile, bytes};
  return tree;
}

FixtureTree ForcedTree() {
  return FixtureTree{{"forced.txt", {EntryKind::kFile, "a force push\n"}},
                     {"src/main.c", {EntryKind::kFile, "int main(void) { return 1; }\n"}}};
}

// Names a tree's content: equal trees, equal fingerprints.
std::string Fingerprint(const FixtureTree& tree) {
  std::string listing;
  for (const auto& [path, file] : tree) {
    listing += path + '\0' + EntryKindName(file.kind) + '\0' + Sha256Hex(file.bytes) + '\n';
  }
  return Sha256Hex(listing);
}

class CollectingSink : public ChangeSink {
 public:
  Status OnChange(const Change& change) override {
    changes.push_back(change);
    return Status::Ok();
  }
  std::vector<Change> changes;
};

// Takes its time: 40 ms a change for the first 25 (a consumer whose
// database is busy), then as fast as the collector.
class SlowSink : public CollectingSink {
 public:
  Status OnChange(const Change& change) override {
    if (changes.size() < 25) std::this_thread::sleep_for(std::chrono::milliseconds(40));
    return CollectingSink::OnChange(change);
  }
};

// Refuses the second change; counts what comes after.
class RefusingSink : public ChangeSink {
 public:
  Status OnChange(const Change&) override {
    ++calls;
    if (calls == 2) return refusal;
    return Status::Ok();
  }
  const Status refusal = Status::Conflict("the conformance kit's sink refuses the second change");
  int calls = 0;
};

using ChangeKey = std::tuple<int, std::string, std::string, uint32_t, std::string>;

std::vector<ChangeKey> Keys(const std::vector<Change>& changes) {
  std::vector<ChangeKey> keys;
  for (const Change& c : changes) {
    keys.emplace_back(static_cast<int>(c.kind), c.entry.path, c.entry.blob_id, c.entry.mode, c.old_path);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

class ProviderKit {
 public:
  ProviderKit(Provider* provider, const ProviderKitOptions& options, ContractLog* log)
      : provider_(provider), options_(options), log_(log), adapter_(options.adapter, options.work_dir) {}

  Status Run();

 private:
  // Every call into the plugin goes through Guard: an exception breaks
  // "no-throw" and comes back as Internal, so the kit goes on.
  template <typename F>
  auto Guard(const std::string& call, F&& f) -> decltype(f()) {
    return Guarded(log_, call, std::forward<F>(f));
  }

  Result<std::unique_ptr<Repository>> Open();
  Result<CommitId> Resolve(Repository* repo, const std::string& branch);
  Result<std::vector<Change>> DiffAll(Repository* repo, const CommitId& from, const CommitId& to);
  Result<Blob> Read(Repository* repo, const BlobId& id, uint64_t max_bytes);
  Result<bool> Ancestor(Repository* repo, const CommitId& a, const CommitId& b);
  Result<BranchList> Branches(Repository* repo);

  // One state: the commit `branch` shows now, its tree checked against
  // `expected` on a fresh Repository. Not OK when the kit cannot go on.
  Result<CommitId> CheckState(const std::string& branch, const FixtureTree& expected, Tree* got);
  void CheckIds(const std::vector<Change>& changes, const std::string& call);
  void CheckOnce(const std::vector<Change>& changes, const std::string& call);
  Tree CheckTree(const std::vector<Change>& changes, const FixtureTree& expected, const std::string& call);
  void CheckContent(Repository* repo, const Tree& got, const FixtureTree& expected);
  void CheckFirstState(const CommitId& head, const Tree& got, const FixtureTree& expected);
  void CheckIncremental(Repository* repo, const CommitId& from, const CommitId& to, const Tree& before,
                        const Tree& after);
  void CheckConcurrency(const CommitId& head, const Tree& got, const FixtureTree& expected);
  void CheckBranchList(Repository* repo, const std::vector<std::string>& names, const std::string& when);
  void CheckBranchIsAt(Repository* repo, const std::string& branch, const CommitId& not_at, const std::string& when);
  void CheckOpenMissing();
  // Syncs main through the engine (options_.sync) and checks what it
  // stored against `expected`, in `mode`.
  void CheckSynced(const FixtureTree& expected, const std::string& mode, const std::string& when);

  Provider* provider_;
  const ProviderKitOptions& options_;
  ContractLog* log_;
  FixtureAdapter adapter_;
  FixtureAdapter::Source source_;
  std::map<BlobId, std::string> digest_of_;  // every blob id seen: the SHA-256 of the bytes the tree gave it
  std::map<BlobId, std::string> path_of_;    // and a path it was seen at
  std::set<std::string> known_ids_;          // commits and blobs seen
  std::map<CommitId, std::string> tree_of_;  // every head seen: the Fingerprint of its tree
};

Result<std::unique_ptr<Repository>> ProviderKit::Open() {
  Result<std::unique_ptr<Repository>> repo =
      Guard("Open(" + source_.url + ")", [&] { return provider_->Open(source_.url); });
  if (repo.ok() && *repo == nullptr) return Status::Internal("Open(" + source_.url + ") returned no Repository");
  return repo;
}

Result<CommitId> ProviderKit::Resolve(Repository* repo, const std::string& branch) {
  return Guard("ResolveBranch(" + branch + ")", [&] { return repo->ResolveBranch(branch); });
}

Result<std::vector<Change>> ProviderKit::DiffAll(Repository* repo, const CommitId& from, const CommitId& to) {
  CollectingSink sink;
  const Status status = Guard("Diff(\"" + from + "\", " + to + ")", [&] { return repo->Diff(from, to, &sink); });
  if (!status.ok()) return status;
  return std::move(sink.changes);
}

Result<Blob> ProviderKit::Read(Repository* repo, const BlobId& id, uint64_t max_bytes) {
  return Guard("ReadBlob(" + id + ", " + std::to_string(max_bytes) + ")",
               [&] { return repo->ReadBlob(id, max_bytes); });
}

Result<bool> ProviderKit::Ancestor(Repository* repo, const CommitId& a, const CommitId& b) {
  return Guard("IsAncestor(" + a + ", " + b + ")", [&] { return repo->IsAncestor(a, b); });
}

Result<BranchList> ProviderKit::Branches(Repository* repo) {
  return Guard("ListBranches()", [&] { return repo->ListBranches(); });
}

void ProviderKit::CheckIds(const std::vector<Change>& changes, const std::string& call) {
  for (const Change& c : changes) {
    if (!IdOk(c.entry.blob_id)) {
      log_->Broken(kIds, call + " gave " + Quoted(c.entry.path) + " the blob id \"" + ShownPath(c.entry.blob_id) +
                             "\" (ids are non-empty printable ASCII without spaces)");
      return;
    }
    known_ids_.insert(c.entry.blob_id);
  }
  log_->Held(kIds);
}

void ProviderKit::CheckOnce(const std::vector<Change>& changes, const std::string& call) {
  std::set<std::string> seen;
  for (const Change& c : changes) {
    std::vector<std::string> paths{c.entry.path};
    if (c.kind == ChangeKind::kRenamed) paths.push_back(c.old_path);
    for (const std::string& path : paths) {
      if (!seen.insert(path).second) {
        log_->Broken(kPathsOnce, call + " named " + Quoted(path) + " twice (the second time in a " +
                                     ChangeKindName(c.kind) + " change)");
        return;
      }
    }
  }
  log_->Held(kPathsOnce);
}

Tree ProviderKit::CheckTree(const std::vector<Change>& changes, const FixtureTree& expected,
                            const std::string& call) {
  Tree got;
  bool held = true;
  auto broken = [&](const std::string& detail) {
    log_->Broken(kTree, call + " " + detail);
    held = false;
  };
  for (const Change& c : changes) {
    if (c.kind != ChangeKind::kAdded) {
      broken("gave " + Quoted(c.entry.path) + " as " + ChangeKindName(c.kind) + "; from nothing, every change is added");
    }
    got.emplace(c.entry.path, c.entry);
  }
  for (const auto& [path, file] : expected) {
    auto found = got.find(path);
    if (found == got.end()) {
      broken("left out " + Quoted(path) + " (a " + EntryKindName(file.kind) + " of the tree)");
      continue;
    }
    const Entry& entry = found->second;
    if (entry.kind != file.kind || entry.mode != ModeOf(file.kind)) {
      broken("gave " + Quoted(path) + " as a " + EntryKindName(entry.kind) + " of mode " + Octal(entry.mode) +
             "; the tree has a " + EntryKindName(file.kind) + " (mode " + Octal(ModeOf(file.kind)) + ")");
    }
  }
  for (const auto& [path, entry] : got) {
    if (expected.count(path) == 0) broken("gave " + Quoted(path) + ", which the tree does not have");
  }
  if (held) log_->Held(kTree);
  return got;
}

void ProviderKit::CheckContent(Repository* repo, const Tree& got, const FixtureTree& expected) {
  std::map<BlobId, std::string> read;  // each blob once
  for (const auto& [path, entry] : got) {
    auto want = expected.find(path);
    if (want == expected.end()) continue;
    const std::string digest = Sha256Hex(want->second.bytes);
    auto seen = digest_of_.emplace(entry.blob_id, digest);
    if (seen.first->second != digest) {
      log_->Broken(kBlobIds, "the blob id " + entry.blob_id + " was given to " + Quoted(path) +
                                 " and, for other bytes, to " + Quoted(path_of_[entry.blob_id]) +
                                 (path == path_of_[entry.blob_id] ? " before it changed" : ""));
    } else {
      log_->Held(kBlobIds);
    }
    path_of_.emplace(entry.blob_id, path);
    if (!read.emplace(entry.blob_id, path).second) continue;
    Result<Blob> blob = Read(repo, entry.blob_id, kWholeBlob);
    if (!blob.ok()) {
      log_->Broken(kContent, "ReadBlob(" + entry.blob_id + ") of " + Quoted(path) + " failed: " + Described(blob.status()));
      continue;
    }
    if (blob->truncated || blob->data != want->second.bytes || blob->size != want->second.bytes.size()) {
      log_->Broken(kContent, "ReadBlob(" + entry.blob_id + ") of " + Quoted(path) + " gave " +
                                 std::to_string(blob->data.size()) + " bytes (size " + std::to_string(blob->size) +
                                 (blob->truncated ? ", truncated" : "") + ") that are not the tree's " +
                                 std::to_string(want->second.bytes.size()));
      continue;
    }
    log_->Held(kContent);
  }
}

Result<CommitId> ProviderKit::CheckState(const std::string& branch, const FixtureTree& expected, Tree* got) {
  Result<std::unique_ptr<Repository>> repo = Open();
  if (!repo.ok()) return repo.status();
  Result<CommitId> head = Resolve(repo->get(), branch);
  if (!head.ok()) return head.status().WithContext("ResolveBranch(" + branch + ") after the adapter made it");
  const std::string fingerprint = Fingerprint(expected);
  auto named = tree_of_.emplace(*head, fingerprint);
  if (!IdOk(*head)) {
    log_->Broken(kIds, "ResolveBranch(" + branch + ") gave the commit id \"" + ShownPath(*head) + "\"");
  } else if (named.first->second != fingerprint) {
    log_->Broken(kIds, "ResolveBranch(" + branch + ") gave " + *head + " again, for another tree");
  } else {
    log_->Held(kIds);
  }
  known_ids_.insert(*head);
  const std::string call = "Diff(\"\", " + *head + ")";
  Result<std::vector<Change>> changes = DiffAll(repo->get(), "", *head);
  if (!changes.ok()) return changes.status().WithContext(call + " of " + branch);
  CheckIds(*changes, call);
  CheckOnce(*changes, call);
  *got = CheckTree(*changes, expected, call);
  CheckContent(repo->get(), *got, expected);
  Result<bool> self = Ancestor(repo->get(), *head, *head);
  if (!self.ok() || !*self) {
    log_->Broken(kAncestry, "IsAncestor(" + *head + ", " + *head + ") of the branch's head gave " +
                                (self.ok() ? "false" : Described(self.status())) + "; a commit is its own ancestor");
  } else {
    log_->Held(kAncestry);
  }
  return head;
}

void ProviderKit::CheckOpenMissing() {
  const std::string url = source_.url + "-tether-conformance-missing";
  Result<std::unique_ptr<Repository>> repo =
      Guard("Open(" + url + ")", [&] { return provider_->Open(url); });
  Status status = repo.status();
  std::string call = "Open(" + url + ")";
  if (repo.ok() && *repo != nullptr) {  // a provider may open lazily: its first call must say so
    Result<BranchList> branches = Branches(repo->get());
    status = branches.status();
    call += " then ListBranches()";
  }
  if (status.code() == StatusCode::kNotFound || status.code() == StatusCode::kInvalidArgument) {
    log_->Held(kOpenMissing);
  } else {
    log_->Broken(kOpenMissing, call + " of a repository that does not exist gave " + Described(status));
  }
}

void ProviderKit::CheckBranchList(Repository* repo, const std::vector<std::string>& names, const std::string& when) {
  Result<BranchList> list = Branches(repo);
  if (!list.ok()) {
    log_->Broken(kBranches, "ListBranches() " + when + " failed: " + Described(list.status()));
    return;
  }
  std::vector<std::string> got;
  int defaults = 0;
  for (const Branch& branch : list->branches) {
    got.push_back(branch.name);
    defaults += branch.is_default ? 1 : 0;
    Result<CommitId> head = Resolve(repo, branch.name);
    if (!head.ok() || *head != branch.head) {
      log_->Broken(kBranches, "ListBranches() " + when + " gave " + branch.name + " at " + branch.head +
                                  " but ResolveBranch gave " + (head.ok() ? *head : Described(head.status())));
      return;
    }
    if (branch.is_default && branch.name != list->default_branch) {
      log_->Broken(kBranches, "ListBranches() " + when + " marked " + branch.name + " as default, but named " +
                                  list->default_branch + " the default branch");
      return;
    }
  }
  if (!std::is_sorted(got.begin(), got.end())) {
    log_->Broken(kBranches, "ListBranches() " + when + " did not sort its branches by name");
    return;
  }
  std::vector<std::string> want = names;
  std::sort(want.begin(), want.end());
  if (got != want) {
    std::string listed;
    for (const std::string& name : got) listed += (listed.empty() ? "" : ", ") + name;
    std::string wanted;
    for (const std::string& name : want) wanted += (wanted.empty() ? "" : ", ") + name;
    log_->Broken(names.size() < got.size() ? kDeletedBranch : kBranches,
                 "ListBranches() " + when + " gave [" + listed + "]; the source has [" + wanted + "]");
    return;
  }
  if (list->default_branch != kMain || defaults != 1) {
    log_->Broken(kBranches, "ListBranches() " + when + " named \"" + list->default_branch + "\" the default with " +
                                std::to_string(defaults) + " branch(es) marked default; the default is main, marked once");
    return;
  }
  log_->Held(kBranches);
}

void ProviderKit::CheckBranchIsAt(Repository* repo, const std::string& branch, const CommitId& not_at,
                                  const std::string& when) {
  if (!options_.asks_branch_is_at) return;
  Result<bool> at = Guard("BranchIsAt(" + branch + ", " + not_at + ")",
                          [&]() -> Result<bool> { return repo->BranchIsAt(branch, not_at); });
  if (at.ok() && *at) {
    log_->Broken(kBranchIsAt, "BranchIsAt(" + branch + ", " + not_at + ") " + when + " was true");
  } else {
    log_->Held(kBranchIsAt);
  }
}

void ProviderKit::CheckFirstState(const CommitId& head, const Tree& got, const FixtureTree& expected) {
  Result<std::unique_ptr<Repository>> repo = Open();
  if (!repo.ok()) return;

  // A read first, on a fresh Repository, of ids another one gave.
  const Entry& readme = got.count("README.md") ? got.at("README.md") : got.begin()->second;
  Result<Blob> first = Read(repo->get(), readme.blob_id, kWholeBlob);
  const std::string& readme_bytes = expected.at(readme.path).bytes;
  if (!first.ok() || first->data != readme_bytes) {
    log_->Broken(kFreshRead, "ReadBlob(" + readme.blob_id + ") of " + Quoted(readme.path) +
                                 " as the first call on a new Repository gave " +
                                 (first.ok() ? std::to_string(first->data.size()) + " wrong bytes" : Described(first.status())));
  } else {
    log_->Held(kFreshRead);
  }

  // max_bytes: a larger blob is its size alone; one of exactly max_bytes is whole.
  auto large = got.find("data/large.bin");
  if (large != got.end()) {
    const std::string& bytes = expected.at("data/large.bin").bytes;
    Result<Blob> cut = Read(repo->get(), large->second.blob_id, 1024);
    Result<Blob> whole = Read(repo->get(), large->second.blob_id, bytes.size());
    if (!cut.ok() || !cut->truncated || cut->size != bytes.size() || !cut->data.empty()) {
      log_->Broken(kMaxBytes, "ReadBlob(" + large->second.blob_id + ", 1024) of the " + std::to_string(bytes.size()) +
                                  "-byte data/large.bin gave " +
                                  (cut.ok() ? std::to_string(cut->data.size()) + " bytes, size " +
                                                  std::to_string(cut->size) + (cut->truncated ? ", truncated" : ", not truncated")
                                            : Described(cut.status())) +
                                  "; expected no bytes, its size, truncated");
    } else if (!whole.ok() || whole->truncated || whole->data != bytes) {
      log_->Broken(kMaxBytes, "ReadBlob(" + large->second.blob_id + ", " + std::to_string(bytes.size()) +
                                  ") of a blob of exactly that size did not give it whole");
    } else {
      log_->Held(kMaxBytes);
    }
  }
  auto empty = got.find("empty.txt");
  if (empty != got.end()) {
    Result<Blob> blob = Read(repo->get(), empty->second.blob_id, 0);
    if (!blob.ok() || blob->truncated || blob->size != 0) {
      log_->Broken(kMaxBytes, "ReadBlob(" + empty->second.blob_id + ", 0) of the empty file gave " +
                                  (blob.ok() ? (blob->truncated ? "truncated" : "size " + std::to_string(blob->size))
                                             : Described(blob.status())) + "; an empty blob fits in 0 bytes");
    } else {
      log_->Held(kMaxBytes);
    }
  }

  // Unknown ids and names: the documented codes.
  const std::string unknown_blob = UnknownLike(readme.blob_id, known_ids_);
  Result<Blob> missing = Read(repo->get(), unknown_blob, kWholeBlob);
  if (missing.status().code() != StatusCode::kNotFound) {
    log_->Broken(kMissingBlob, "ReadBlob(" + unknown_blob + ") of an unknown blob id gave " + Described(missing.status()));
  } else {
    log_->Held(kMissingBlob);
  }
  const std::string unknown_commit = UnknownLike(head, known_ids_);
  Result<std::vector<Change>> diff = DiffAll(repo->get(), "", unknown_commit);
  if (diff.status().code() != StatusCode::kNotFound) {
    log_->Broken(kMissingCommit, "Diff(\"\", " + unknown_commit + ") of an unknown commit gave " + Described(diff.status()));
  } else {
    log_->Held(kMissingCommit);
  }
  Result<bool> unknown = Ancestor(repo->get(), unknown_commit, head);
  if (!unknown.ok() || *unknown) {
    log_->Broken(kAncestry, "IsAncestor(" + unknown_commit + ", " + head + ") of an unknown commit gave " +
                                (unknown.ok() ? "true" : Described(unknown.status())) + "; expected false");
  } else {
    log_->Held(kAncestry);
  }
  const std::string no_branch = "tether-conformance/no-such-branch";
  Result<CommitId> resolved = Resolve(repo->get(), no_branch);
  if (resolved.status().code() != StatusCode::kNotFound) {
    log_->Broken(kMissingBranch, "ResolveBranch(" + no_branch + ") gave " +
                                     (resolved.ok() ? *resolved : Described(resolved.status())) + "; expected NotFound");
  } else {
    log_->Held(kMissingBranch);
  }
  CheckBranchList(repo->get(), {kMain}, "after the first commit");
  CheckBranchIsAt(repo->get(), no_branch, head, "of a missing branch");
  CheckBranchIsAt(repo->get(), kMain, unknown_commit, "of a commit main is not at");

  // The same diff twice, on two Repository objects.
  Result<std::unique_ptr<Repository>> other = Open();
  if (other.ok()) {
    Result<std::vector<Change>> a = DiffAll(repo->get(), "", head);
    Result<std::vector<Change>> b = DiffAll(other->get(), "", head);
    if (!a.ok() || !b.ok() || Keys(*a) != Keys(*b)) {
      log_->Broken(kStable, "Diff(\"\", " + head + ") on two Repository objects gave " +
                                (a.ok() && b.ok() ? std::to_string(a->size()) + " and " + std::to_string(b->size()) +
                                                        " changes that differ"
                                                  : Described(a.ok() ? b.status() : a.status())));
    } else {
      log_->Held(kStable);
    }
  }

  // A slow consumer: the same changes, however long the sink takes.
  SlowSink slow;
  const Status slowed = Guard("Diff(\"\", " + head + ") into a slow sink",
                              [&] { return repo->get()->Diff("", head, &slow); });
  Result<std::vector<Change>> quick = DiffAll(repo->get(), "", head);
  if (!slowed.ok() || !quick.ok() || Keys(slow.changes) != Keys(*quick)) {
    log_->Broken(kSlowSink, "Diff(\"\", " + head + ") into a sink taking 40 ms a change gave " +
                                (slowed.ok() ? std::to_string(slow.changes.size()) + " changes, not those of a fast sink"
                                             : Described(slowed)));
  } else {
    log_->Held(kSlowSink);
  }

  // A sink's error.
  RefusingSink refusing;
  const Status stopped = Guard("Diff(\"\", " + head + ") into a failing sink",
                               [&] { return repo->get()->Diff("", head, &refusing); });
  if (stopped.code() != refusing.refusal.code() || stopped.message() != refusing.refusal.message()) {
    log_->Broken(kSinkError, "Diff(\"\", " + head + ") into a sink that refused the second change returned " +
                                 Described(stopped) + ", not the sink's " + refusing.refusal.ToString());
  } else if (refusing.calls != 2) {
    log_->Broken(kSinkError, "Diff(\"\", " + head + ") went on after its sink refused the second change: " +
                                 std::to_string(refusing.calls) + " calls");
  } else {
    log_->Held(kSinkError);
  }
}

void ProviderKit::CheckIncremental(Repository* repo, const CommitId& from, const CommitId& to, const Tree& before,
                                   const Tree& after) {
  const std::string call = "Diff(" + from + ", " + to + ")";
  Result<std::vector<Change>> changes = DiffAll(repo, from, to);
  if (!changes.ok()) {
    log_->Broken(kIncremental, call + " failed: " + Described(changes.status()));
    return;
  }
  CheckIds(*changes, call);
  CheckOnce(*changes, call);
  Tree result = before;
  bool held = true;
  auto broken = [&](const char* id, const std::string& detail) {
    log_->Broken(id, call + " " + detail);
    held = false;
  };
  for (const Change& c : *changes) {
    const std::string& path = c.entry.path;
    auto old = before.find(c.kind == ChangeKind::kRenamed ? c.old_path : path);
    switch (c.kind) {
      case ChangeKind::kAdded:
        if (before.count(path)) broken(kIncremental, "added " + Quoted(path) + ", which " + from + " already had");
        result[path] = c.entry;
        break;
      case ChangeKind::kModified:
        if (old == before.end()) {
          broken(kIncremental, "modified " + Quoted(path) + ", which " + from + " did not have");
        } else if (old->second.blob_id == c.entry.blob_id && old->second.mode == c.entry.mode) {
          broken(kIncremental, "gave " + Quoted(path) + " as modified, with its blob and mode unchanged");
        }
        result[path] = c.entry;
        break;
      case ChangeKind::kDeleted:
        if (old == before.end()) broken(kIncremental, "deleted " + Quoted(path) + ", which " + from + " did not have");
        result.erase(path);
        break;
      case ChangeKind::kRenamed:
        if (old == before.end()) {
          broken(kRenames, "renamed " + Quoted(c.old_path) + ", which " + from + " did not have");
        } else if (old->second.blob_id != c.entry.blob_id) {
          broken(kRenames, "renamed " + Quoted(c.old_path) + " (blob " + old->second.blob_id + ") to " + Quoted(path) +
                               " with blob " + c.entry.blob_id + "; a rename keeps its blob");
        } else {
          log_->Held(kRenames);
        }
        if (before.count(path)) broken(kIncremental, "renamed onto " + Quoted(path) + ", which " + from + " had");
        result.erase(c.old_path);
        result[path] = c.entry;
        break;
    }
  }
  for (const auto& [path, entry] : after) {
    auto got = result.find(path);
    if (got == result.end()) {
      broken(kIncremental, "left out " + Quoted(path) + ", which " + to + " has and " + from + " did not");
    } else if (got->second.blob_id != entry.blob_id || got->second.mode != entry.mode) {
      broken(kIncremental, "left " + Quoted(path) + " at blob " + got->second.blob_id + " mode " + Octal(got->second.mode) +
                               "; " + to + " has blob " + entry.blob_id + " mode " + Octal(entry.mode));
    }
  }
  for (const auto& [path, entry] : result) {
    if (after.count(path) == 0) broken(kIncremental, "left " + Quoted(path) + ", which " + to + " no longer has");
  }
  if (held) log_->Held(kIncremental);
}

void ProviderKit::CheckConcurrency(const CommitId& head, const Tree& got, const FixtureTree& expected) {
  std::vector<std::pair<BlobId, std::string>> blobs;  // id, a path
  std::set<BlobId> seen;
  for (const auto& [path, entry] : got) {
    if (expected.count(path) && seen.insert(entry.blob_id).second) blobs.emplace_back(entry.blob_id, path);
  }
  std::vector<ChangeKey> want;
  {
    Result<std::unique_ptr<Repository>> repo = Open();
    if (!repo.ok()) return;
    Result<std::vector<Change>> changes = DiffAll(repo->get(), "", head);
    if (!changes.ok()) return;
    want = Keys(*changes);
  }
  const int threads = std::max(2, options_.threads);
  std::vector<std::string> failures(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Result<std::unique_ptr<Repository>> repo = Open();
      if (!repo.ok()) {
        failures[t] = "Open on thread " + std::to_string(t) + " failed: " + Described(repo.status());
        return;
      }
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < blobs.size(); ++i) {
          const auto& [id, path] = blobs[(i + static_cast<size_t>(t) * 3) % blobs.size()];
          Result<Blob> blob = Read(repo->get(), id, kWholeBlob);
          if (!blob.ok() || blob->data != expected.at(path).bytes) {
            failures[t] = "ReadBlob(" + id + ") of " + Quoted(path) + " on thread " + std::to_string(t) + " gave " +
                          (blob.ok() ? "wrong bytes" : Described(blob.status()));
            return;
          }
        }
        // Every thread diffs (each of its own Repository object, so that
        // ids that differ between objects show whichever thread opened
        // first); every other one lists branches too.
        Result<std::vector<Change>> changes = DiffAll(repo->get(), "", head);
        if (!changes.ok() || Keys(*changes) != want) {
          failures[t] = "Diff(\"\", " + head + ") on thread " + std::to_string(t) + " gave " +
                        (changes.ok() ? "other changes" : Described(changes.status()));
          return;
        }
        if (t % 2 == 1) {
          Result<BranchList> branches = Branches(repo->get());
          if (!branches.ok()) {
            failures[t] = "ListBranches() on thread " + std::to_string(t) + " failed: " + Described(branches.status());
            return;
          }
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (const std::string& failure : failures) {
    if (!failure.empty()) {
      log_->Broken(kConcurrency, failure + " (" + std::to_string(threads) +
                                     " Repository objects of one URL used at once, each on its thread)");
      return;
    }
  }
  log_->Held(kConcurrency);
}

void ProviderKit::CheckSynced(const FixtureTree& expected, const std::string& mode, const std::string& when) {
  if (!options_.sync) return;  // skipped at the start
  Result<SyncedState> synced = options_.sync(source_.url);
  if (!synced.ok()) {
    log_->Broken(kSynced, "the engine's sync " + when + " failed: " + Described(synced.status()));
    return;
  }
  if (synced->mode != mode) {
    log_->Broken(kSynced, "the engine's sync " + when + " was a " + synced->mode + " sync; expected " + mode);
    return;
  }
  for (const auto& [path, file] : expected) {
    auto stored = synced->files.find(path);
    if (!sync::CheckRepositoryPath(path).ok()) {
      if (stored != synced->files.end()) {
        log_->Broken(kSynced, "the engine stored " + Quoted(path) + " " + when + ", a path it must skip");
        return;
      }
      continue;
    }
    if (stored == synced->files.end()) {
      log_->Broken(kSynced, "the engine's sync " + when + " did not store " + Quoted(path));
      return;
    }
    const SyncedFile& got = stored->second;
    if (got.kind != file.kind || got.mode != ModeOf(file.kind) || got.size != file.bytes.size()) {
      log_->Broken(kSynced, Quoted(path) + " " + when + " is stored as a " + EntryKindName(got.kind) + " of mode " +
                                Octal(got.mode) + " and " + std::to_string(got.size) + " bytes; the state has a " +
                                EntryKindName(file.kind) + " of mode " + Octal(ModeOf(file.kind)) + " and " +
                                std::to_string(file.bytes.size()) + " bytes");
      return;
    }
    if (file.kind != EntryKind::kFile && file.kind != EntryKind::kExecutable) continue;
    // Bytes over the sync's limit are not read: stored without content,
    // text or binary unknown.
    const bool read = file.bytes.size() <= options_.max_content_bytes;
    const bool text = sync::LooksLikeText(file.bytes);
    const bool with_content = text && read;
    if ((read && got.is_binary == text) || got.has_content != with_content ||
        (with_content && got.content != file.bytes)) {
      log_->Broken(kSynced, Quoted(path) + " " + when + " is stored " + (got.is_binary ? "as binary" : "as text") +
                                (got.has_content ? " with " + std::to_string(got.content.size()) + " bytes of content"
                                                 : " without content") +
                                (got.has_content && got.content != file.bytes ? " that differ from the file's" : "") +
                                "; the file's bytes are " + (text ? "text" : "binary"));
      return;
    }
  }
  for (const auto& [path, unused] : synced->files) {
    if (expected.count(path) == 0) {
      log_->Broken(kSynced, "the engine's sync " + when + " stored " + Quoted(path) + ", which the state does not have");
      return;
    }
  }
  log_->Held(kSynced);
}

Status ProviderKit::Run() {
  Result<FixtureAdapter::Source> source = adapter_.Init();
  if (!source.ok()) return source.status();
  source_ = *source;
  const std::string no_history = "the adapter's source has no history (history=no)";
  if (!source_.history) {
    log_->Skip(kIncremental, no_history);
    log_->Skip(kRenames, no_history);
  }
  if (!options_.asks_branch_is_at) log_->Skip(kBranchIsAt, "the plugin is built for an SDK before 3.7, without BranchIsAt");
  if (!options_.sync) log_->Skip(kSynced, "no engine to sync through was given");
  CheckOpenMissing();

  // 1. The first tree.
  const FixtureTree first = FirstTree();
  Result<FixtureAdapter::Outcome> made = adapter_.Commit(kMain, first);
  if (!made.ok()) return made.status();
  if (*made == FixtureAdapter::Outcome::kUnsupported) {
    return Status::InvalidArgument("the fixture adapter cannot commit the first tree: " + adapter_.unsupported_reason());
  }
  Tree first_tree;
  Result<CommitId> c1 = CheckState(kMain, first, &first_tree);
  if (!c1.ok()) return c1.status();
  if (first_tree.empty()) return Status::InvalidArgument("the provider gave an empty tree for the first commit");
  CheckFirstState(*c1, first_tree, first);
  CheckConcurrency(*c1, first_tree, first);
  CheckSynced(first, "full", "of the first tree");

  // 2. Edits of every kind.
  const FixtureTree second = EditedTree(first);
  made = adapter_.Commit(kMain, second);
  if (!made.ok()) return made.status();
  if (*made == FixtureAdapter::Outcome::kUnsupported) {
    return Status::InvalidArgument("the fixture adapter cannot commit a second tree: " + adapter_.unsupported_reason());
  }
  Tree second_tree;
  Result<CommitId> c2 = CheckState(kMain, second, &second_tree);
  if (!c2.ok()) return c2.status();
  if (*c2 == *c1) log_->Broken(kIds, "ResolveBranch(main) gave " + *c2 + " for the first tree and the second");
  Result<std::unique_ptr<Repository>> repo = Open();
  if (!repo.ok()) return repo.status();
  if (source_.history) {
    Result<bool> forward = Ancestor(repo->get(), *c1, *c2);
    Result<bool> backward = Ancestor(repo->get(), *c2, *c1);
    if (!forward.ok() || !*forward) {
      log_->Broken(kAncestry, "IsAncestor(" + *c1 + ", " + *c2 + ") of a parent and its child gave " +
                                  (forward.ok() ? "false" : Described(forward.status())));
    } else if (!backward.ok() || *backward) {
      log_->Broken(kAncestry, "IsAncestor(" + *c2 + ", " + *c1 + ") of a child and its parent gave " +
                                  (backward.ok() ? "true" : Described(backward.status())));
    } else {
      log_->Held(kAncestry);
    }
    CheckIncremental(repo->get(), *c1, *c2, first_tree, second_tree);
    log_->Skip(kRenames, "the provider gave the rename as a delete and an add (allowed)");
  }
  CheckBranchIsAt(repo->get(), kMain, *c1, "after main moved on from it");
  CheckSynced(second, source_.history ? "incremental" : "force_push", "of the edits");

  // 3. Branches.
  const FixtureTree feature = WithFile(second, "feature-only.txt", "on feature/x only\n");
  made = adapter_.Commit(kFeature, feature);
  if (!made.ok()) return made.status();
  std::vector<std::string> names{kMain};
  if (*made == FixtureAdapter::Outcome::kUnsupported) {
    const std::string why = "the adapter cannot make a second branch: " + adapter_.unsupported_reason();
    log_->Skip(kDeletedBranch, why);
  } else {
    names.push_back(kFeature);
    for (int i = 0; i < kManyBranches; ++i) {
      const std::string name = "many/b" + std::to_string(i);
      made = adapter_.Commit(name, WithFile(second, "many-" + std::to_string(i) + ".txt", name + "\n"));
      if (!made.ok()) return made.status();
      if (*made == FixtureAdapter::Outcome::kDone) names.push_back(name);
    }
    Tree feature_tree;
    Result<CommitId> fx = CheckState(kFeature, feature, &feature_tree);
    if (!fx.ok()) return fx.status();
    Result<std::unique_ptr<Repository>> branches = Open();
    if (!branches.ok()) return branches.status();
    CheckBranchList(branches->get(), names, "with " + std::to_string(names.size()) + " branches");
    if (source_.history) {
      Result<bool> shared = Ancestor(branches->get(), *c2, *fx);
      if (!shared.ok() || !*shared) {
        log_->Broken(kAncestry, "IsAncestor(" + *c2 + ", " + *fx + ") of main's head and a branch made from it gave " +
                                    (shared.ok() ? "false" : Described(shared.status())));
      } else {
        log_->Held(kAncestry);
      }
      CheckIncremental(branches->get(), *c2, *fx, second_tree, feature_tree);
    }

    // 4. A deleted branch.
    made = adapter_.DeleteBranch(kFeature);
    if (!made.ok()) return made.status();
    if (*made == FixtureAdapter::Outcome::kUnsupported) {
      log_->Skip(kDeletedBranch, "the adapter cannot delete a branch: " + adapter_.unsupported_reason());
    } else {
      names.erase(std::find(names.begin(), names.end(), kFeature));
      Result<std::unique_ptr<Repository>> after = Open();
      if (!after.ok()) return after.status();
      Result<CommitId> gone = Resolve(after->get(), kFeature);
      if (gone.status().code() != StatusCode::kNotFound) {
        log_->Broken(kDeletedBranch, "ResolveBranch(feature/x) after the branch was deleted gave " +
                                         (gone.ok() ? *gone : Described(gone.status())) + "; expected NotFound");
      } else {
        log_->Held(kDeletedBranch);
      }
      CheckBranchList(after->get(), names, "after feature/x was deleted");
      CheckBranchIsAt(after->get(), kFeature, *fx, "after feature/x was deleted");
    }
  }

  // 5. A force push.
  const FixtureTree forced = ForcedTree();
  made = adapter_.Force(kMain, forced);
  if (!made.ok()) return made.status();
  if (*made == FixtureAdapter::Outcome::kUnsupported) {
    log_->Skip(kForcePush, "the adapter cannot force a push: " + adapter_.unsupported_reason());
    return Status::Ok();
  }
  Tree forced_tree;
  Result<CommitId> c5 = CheckState(kMain, forced, &forced_tree);
  if (!c5.ok()) return c5.status();
  Result<std::unique_ptr<Repository>> after = Open();
  if (!after.ok()) return after.status();
  Result<bool> across = Ancestor(after->get(), *c2, *c5);
  if (!across.ok() || *across) {
    log_->Broken(kForcePush, "IsAncestor(" + *c2 + ", " + *c5 + ") across a force push gave " +
                                 (across.ok() ? "true" : Described(across.status())) + "; expected false");
  } else {
    log_->Held(kForcePush);
  }
  CheckBranchIsAt(after->get(), kMain, *c2, "after a force push replaced it");
  CheckSynced(forced, "force_push", "after a force push");
  return Status::Ok();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& ProviderContracts() {
  static const std::vector<std::pair<std::string, std::string>> kContracts = {
      {kTree, "Diff from nothing gives every entry of the tree, as added, with its kind and mode, and nothing else"},
      {kPathsOnce, "Each path appears at most once in a diff, on either side of a rename"},
      {kContent, "ReadBlob gives each entry's bytes (a symlink's: its target)"},
      {kBlobIds, "Entries with equal blob ids have equal bytes, so changed bytes get a new id"},
      {kIds, "Commit and blob ids are non-empty printable ASCII without spaces; a new tree has a new commit id"},
      {kIncremental, "A diff between two commits is exactly the change between their trees, nothing unchanged"},
      {kRenames, "A rename is exact: the blob the old path held, at a new path"},
      {kAncestry, "IsAncestor follows history: a commit is its own ancestor and a parent its child's, never the "
                  "reverse; an unknown commit is false, not an error"},
      {kForcePush, "After a force push the old head is no ancestor of the new one"},
      {kBranches, "ListBranches names every branch, sorted, with the head ResolveBranch gives, and main as default"},
      {kMissingBranch, "ResolveBranch of a missing branch is NotFound"},
      {kDeletedBranch, "A deleted branch is NotFound and gone from ListBranches"},
      {kMissingCommit, "Diff to an unknown commit is NotFound"},
      {kMissingBlob, "ReadBlob of an unknown blob id is NotFound"},
      {kOpenMissing, "A repository that does not exist is NotFound or InvalidArgument, from Open or its first call"},
      {kMaxBytes, "ReadBlob honours max_bytes: a larger blob comes back as its size alone, truncated"},
      {kFreshRead, "ReadBlob may be the first call on a new Repository, with an id another one gave"},
      {kStable, "The same diff gives the same changes on two Repository objects"},
      {kSinkError, "A sink's error stops the diff at once and comes back unchanged"},
      {kSlowSink, "A slow sink (40 ms a change) gets the same changes as a fast one"},
      {kConcurrency, "Repository objects of one URL work at once, each on its own thread"},
      {kBranchIsAt, "BranchIsAt is never true for a commit the branch is not at (SDK 3.7)"},
      {kSynced, "Synced through the engine, each state of main is stored exactly: every path the host keeps, with its "
                "kind, mode, size and text; a first sync whole, the next one incremental, a force push compared"},
      {kNoThrow, "No exception crosses the plugin boundary: every call returns"},
  };
  return kContracts;
}

Status CheckProvider(Provider* provider, const ProviderKitOptions& options, Report* report) {
  ContractLog log(ProviderContracts());
  ProviderKit kit(provider, options, &log);
  const Status status = kit.Run();
  *report = log.Finish();
  return status;
}

}  // namespace tether::conformance
