// hello-provider: the smallest useful provider. Every repository URL names a
// repository with one branch, "main", whose single commit holds one file,
// hello.txt, greeting the URL. Start your own provider from here.
#include <memory>
#include <string>

#include "tether/provider.h"

namespace {

const char kCommit[] = "0000000000000000000000000000000000000001";
const char kBlob[] = "0000000000000000000000000000000000000002";

class HelloRepository : public tether::Repository {
 public:
  explicit HelloRepository(std::string url) : greeting_("hello from " + url + "\n") {}

  tether::Result<tether::BranchList> ListBranches() override {
    tether::BranchList list;
    list.branches.push_back({"main", kCommit, true});
    list.default_branch = "main";
    return list;
  }

  tether::Result<tether::CommitId> ResolveBranch(const std::string& branch) override {
    if (branch != "main") return tether::Status::NotFound("no branch \"" + branch + "\"");
    return tether::CommitId(kCommit);
  }

  tether::Result<bool> IsAncestor(const tether::CommitId& ancestor, const tether::CommitId& commit) override {
    return ancestor == commit;
  }

  tether::Status Diff(const tether::CommitId& from, const tether::CommitId& to, tether::ChangeSink* sink) override {
    if (to != kCommit) return tether::Status::NotFound("no commit " + to);
    if (from == to) return tether::Status::Ok();
    tether::Change change;
    change.kind = tether::ChangeKind::kAdded;
    change.entry = {"hello.txt", kBlob, 0100644, tether::EntryKind::kFile};
    return sink->OnChange(change);
  }

  tether::Result<tether::Blob> ReadBlob(const tether::BlobId& id, uint64_t max_bytes) override {
    if (id != kBlob) return tether::Status::NotFound("no blob " + id);
    tether::Blob blob;
    blob.size = greeting_.size();
    blob.truncated = blob.size > max_bytes;
    if (!blob.truncated) blob.data = greeting_;
    return blob;
  }

 private:
  std::string greeting_;
};

class HelloProvider : public tether::Provider {
 public:
  tether::Result<std::unique_ptr<tether::Repository>> Open(const std::string& url) override {
    return std::unique_ptr<tether::Repository>(std::make_unique<HelloRepository>(url));
  }
};

tether::Result<std::unique_ptr<tether::Plugin>> CreateHelloProvider(const tether::PluginContext&) {
  return std::unique_ptr<tether::Plugin>(std::make_unique<HelloProvider>());
}

}  // namespace

TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "hello-provider", "0.1.0",
              "A template provider: one branch, one file", CreateHelloProvider)
