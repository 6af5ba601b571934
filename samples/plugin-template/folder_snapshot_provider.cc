// folder-snapshot: a template provider. Start your own from here: it keeps
// every contract of tether/provider.h (`tether plugins test` checks them,
// see CMakeLists.txt) with the SDK alone, plus OpenSSL for SHA-256.
//
// The repository URL is a folder's absolute path. It has one branch,
// "main", whose only commit is the folder as it is when a Repository is
// opened: a source without history (provider.h, "Commits without history").
// Blob ids are "sha256:" and the hash of the bytes (of a symlink: its
// target), so equal bytes have equal ids; the commit id hashes the sorted
// listing of paths, modes and blob ids, so a changed tree has a new id.
//
// Thread safety: a Repository holds its own snapshot and nothing shared;
// the provider holds nothing at all. No method throws: the only calls that
// could (std::filesystem, allocation) use error codes or are caught.
#include <openssl/evp.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tether/provider.h"

namespace {

namespace fs = std::filesystem;
using tether::Result;
using tether::Status;

std::string HashId(const char* prefix, const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::string id = prefix;
  const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < size; ++i) id += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return id;
}

// What a file holds: its bytes, or a symlink's target (never followed).
bool Contents(const fs::path& file, bool symlink, std::string* bytes) {
  std::error_code error;
  if (symlink) {
    *bytes = fs::read_symlink(file, error).string();
    return !error;
  }
  std::ifstream in(file, std::ios::binary);
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad() && in.is_open();
}

class SnapshotRepository : public tether::Repository {
 public:
  // Lists `root` now; Open reports a failure through Repository calls.
  explicit SnapshotRepository(fs::path root) : root_(std::move(root)) { status_ = List(); }

  Result<tether::BranchList> ListBranches() override {
    if (!status_.ok()) return status_;
    tether::BranchList list;
    list.branches.push_back({"main", commit_, true});
    list.default_branch = "main";
    return list;
  }

  Result<tether::CommitId> ResolveBranch(const std::string& branch) override {
    if (!status_.ok()) return status_;
    if (branch != "main") return Status::NotFound("a folder has one branch, main; not " + branch);
    return commit_;
  }

  // Only the snapshot is known: it is its own ancestor, nothing else is.
  Result<bool> IsAncestor(const tether::CommitId& ancestor, const tether::CommitId& commit) override {
    if (!status_.ok()) return status_;
    return ancestor == commit && commit == commit_;
  }

  // Only ever asked from nothing (no history); a sink's error stops it.
  Status Diff(const tether::CommitId& from, const tether::CommitId& to, tether::ChangeSink* sink) override {
    if (!status_.ok()) return status_;
    if (!from.empty()) return Status::InvalidArgument("a folder has no history to diff from " + from);
    if (to != commit_) return Status::NotFound("the folder no longer shows commit " + to);
    for (const tether::Entry& entry : entries_) {
      tether::Change change;
      change.entry = entry;  // kAdded
      TETHER_RETURN_IF_ERROR(sink->OnChange(change));
    }
    return Status::Ok();
  }

  // Reads the file again: bytes that changed since the snapshot are gone.
  Result<tether::Blob> ReadBlob(const tether::BlobId& id, uint64_t max_bytes) override {
    if (!status_.ok()) return status_;
    auto found = blobs_.find(id);
    if (found == blobs_.end()) return Status::NotFound("no file holds blob " + id);
    const tether::Entry& entry = entries_[found->second];
    tether::Blob blob;
    try {
      std::string bytes;
      if (!Contents(root_ / entry.path, entry.kind == tether::EntryKind::kSymlink, &bytes) ||
          HashId("sha256:", bytes) != id) {
        return Status::NotFound(entry.path + " changed since its blob " + id);
      }
      blob.size = bytes.size();
      blob.truncated = blob.size > max_bytes;
      if (!blob.truncated) blob.data = std::move(bytes);
    } catch (const std::exception& e) {  // out of memory on a huge file
      return Status::Internal(std::string("reading ") + entry.path + ": " + e.what());
    }
    return blob;
  }

 private:
  Status List() {
    std::error_code error;
    if (!fs::is_directory(root_, error)) return Status::NotFound("no folder " + root_.string());
    try {
      for (fs::recursive_directory_iterator it(root_, error), end; !error && it != end; it.increment(error)) {
        const fs::file_status type = it->symlink_status(error);
        const bool symlink = fs::is_symlink(type);
        if (error || !(symlink || fs::is_regular_file(type))) continue;  // folders, sockets, devices
        tether::Entry entry;
        entry.path = it->path().lexically_relative(root_).generic_string();
        std::string bytes;
        if (!Contents(it->path(), symlink, &bytes)) return Status::Unavailable("cannot read " + it->path().string());
        entry.blob_id = HashId("sha256:", bytes);
        const bool executable = (type.permissions() & fs::perms::owner_exec) != fs::perms::none;
        entry.kind = symlink ? tether::EntryKind::kSymlink
                             : executable ? tether::EntryKind::kExecutable : tether::EntryKind::kFile;
        entry.mode = symlink ? 0120000 : executable ? 0100755 : 0100644;
        entries_.push_back(std::move(entry));
      }
      if (error) return Status::Unavailable("cannot list " + root_.string() + ": " + error.message());
      std::sort(entries_.begin(), entries_.end(),
                [](const tether::Entry& a, const tether::Entry& b) { return a.path < b.path; });
      std::string listing;
      for (size_t i = 0; i < entries_.size(); ++i) {
        blobs_.emplace(entries_[i].blob_id, i);
        listing += entries_[i].path + '\0' + std::to_string(entries_[i].mode) + entries_[i].blob_id + '\n';
      }
      commit_ = HashId("snapshot:", listing);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("listing ") + root_.string() + ": " + e.what());
    }
    return Status::Ok();
  }

  fs::path root_;
  Status status_;
  tether::CommitId commit_;
  std::vector<tether::Entry> entries_;     // sorted by path
  std::map<tether::BlobId, size_t> blobs_;  // each blob id: an entry holding it
};

class SnapshotProvider : public tether::Provider {
 public:
  Result<std::unique_ptr<tether::Repository>> Open(const std::string& url) override {
    if (!fs::path(url).is_absolute()) return Status::InvalidArgument("name a folder by its absolute path: " + url);
    try {
      return std::unique_ptr<tether::Repository>(std::make_unique<SnapshotRepository>(url));
    } catch (const std::exception& e) {
      return Status::Internal(std::string("opening ") + url + ": " + e.what());
    }
  }

  // A relative path typed on the command line means the folder under it.
  Result<std::string> CanonicalRepoUrl(const std::string& url, const std::string& working_directory) override {
    if (fs::path(url).is_absolute()) return url;
    if (working_directory.empty()) return Status::InvalidArgument("name a folder by its absolute path: " + url);
    return (fs::path(working_directory) / url).lexically_normal().string();
  }
};

Result<std::unique_ptr<tether::Plugin>> Create(const tether::PluginContext&) {
  return std::unique_ptr<tether::Plugin>(std::make_unique<SnapshotProvider>());
}

}  // namespace

TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "folder-snapshot", "0.1.0",
              "A template provider: a folder, as one snapshot without history", Create)
