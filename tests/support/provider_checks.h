// Steps of tests that drive a provider plugin directly: open a repository,
// collect a diff. Each fails the test case (Catch2 REQUIRE, with the
// provider's status) when the provider fails.
#ifndef TETHER_TESTS_SUPPORT_PROVIDER_CHECKS_H_
#define TETHER_TESTS_SUPPORT_PROVIDER_CHECKS_H_

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tether/provider.h"

namespace tether::testing {

// Keeps every change it is given, in order.
class CollectingSink : public ChangeSink {
 public:
  Status OnChange(const Change& change) override {
    changes.push_back(change);
    return Status::Ok();
  }
  std::vector<Change> changes;
};

inline std::unique_ptr<Repository> OpenOrFail(Provider& provider, const std::string& url) {
  Result<std::unique_ptr<Repository>> opened = provider.Open(url);
  INFO(url << ": " << opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// The changes from..to, in the order the provider gave them.
inline std::vector<Change> ChangesOrFail(Repository& repo, const std::string& from, const std::string& to) {
  CollectingSink sink;
  Status status = repo.Diff(from, to, &sink);
  INFO("Diff " << from << ".." << to << ": " << status.ToString());
  REQUIRE(status.ok());
  return sink.changes;
}

// What provider.h promises about several Repository objects, checked the
// way a sync relies on it. `url` holds, on `branch`, exactly the files of
// `contents` (path -> bytes). One Repository resolves the branch and diffs
// from nothing; a fresh second one of the same URL reads a blob as its very
// first call; then both work at once on two threads (the first one on a
// thread other than the one that opened it), each reading half of the
// blobs and listing, resolving and diffing again.
inline void CheckRepositoriesOfOneUrlAtOnce(Provider& provider, const std::string& url, const std::string& branch,
                                            const std::map<std::string, std::string>& contents) {
  REQUIRE(contents.size() >= 2);
  std::unique_ptr<Repository> first = OpenOrFail(provider, url);
  Result<CommitId> head = first->ResolveBranch(branch);
  INFO("ResolveBranch " << branch << ": " << head.status().ToString());
  REQUIRE(head.ok());
  std::map<std::string, BlobId> blobs;
  for (const Change& change : ChangesOrFail(*first, "", *head)) {
    CHECK(change.kind == ChangeKind::kAdded);
    blobs[change.entry.path] = change.entry.blob_id;
  }
  std::vector<std::string> paths;
  for (const auto& [path, bytes] : contents) {
    INFO(path);
    REQUIRE(blobs.count(path) == 1);
    paths.push_back(path);
  }
  REQUIRE(blobs.size() == contents.size());

  // ReadBlob first, on a Repository that has done nothing else.
  std::unique_ptr<Repository> second = OpenOrFail(provider, url);
  Result<Blob> read_first = second->ReadBlob(blobs.at(paths.back()), 1 << 20);
  INFO("ReadBlob first: " << read_first.status().ToString());
  REQUIRE(read_first.ok());
  CHECK(read_first->data == contents.at(paths.back()));
  CHECK(read_first->size == contents.at(paths.back()).size());

  // Both at once. Catch2 assertions are for the test's thread: the workers
  // only note what went wrong.
  const CommitId at = *head;
  auto work = [&](Repository* repo, size_t parity, std::vector<std::string>* problems) {
    for (int round = 0; round < 3; ++round) {
      for (size_t i = parity; i < paths.size(); i += 2) {
        Result<Blob> blob = repo->ReadBlob(blobs.at(paths[i]), 1 << 20);
        if (!blob.ok()) {
          problems->push_back("ReadBlob " + paths[i] + ": " + blob.status().ToString());
        } else if (blob->data != contents.at(paths[i]) || blob->truncated) {
          problems->push_back("ReadBlob " + paths[i] + ": other bytes than the file's");
        }
      }
      Result<CommitId> resolved = repo->ResolveBranch(branch);
      if (!resolved.ok() || *resolved != at) problems->push_back("ResolveBranch: " + resolved.status().ToString());
      Result<BranchList> listed = repo->ListBranches();
      if (!listed.ok()) problems->push_back("ListBranches: " + listed.status().ToString());
      Result<bool> known = repo->IsAncestor(at, at);
      if (!known.ok() || !*known) problems->push_back("IsAncestor(head, head): " + known.status().ToString());
      CollectingSink sink;
      Status diffed = repo->Diff("", at, &sink);
      if (!diffed.ok() || sink.changes.size() != contents.size()) {
        problems->push_back("Diff: " + diffed.ToString() + ", " + std::to_string(sink.changes.size()) + " changes");
      }
    }
  };
  std::vector<std::string> problems[2];
  std::thread one(work, first.get(), 0, &problems[0]);
  std::thread two(work, second.get(), 1, &problems[1]);
  one.join();
  two.join();
  for (const std::vector<std::string>& found : problems) {
    for (const std::string& problem : found) FAIL_CHECK(problem);
  }
}

}  // namespace tether::testing

#endif  // TETHER_TESTS_SUPPORT_PROVIDER_CHECKS_H_
