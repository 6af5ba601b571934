// The fixture adapter of a provider under test: a program its author
// writes (a shell script will do) that puts the provider's source into the
// states the conformance kit asks for. The kit decides every state as a
// tree of files, writes it to a folder, and asks the adapter to make the
// source show that tree; then it checks what the provider says against the
// tree it wrote. The adapter never decides what is expected.
//
// The protocol (the adapter is run directly, without a shell, with these
// arguments; WORK is an empty folder the kit made for it, which it keeps
// its source in):
//   ADAPTER init WORK
//       make an empty source; print "url=..." (what Provider::Open takes)
//       and, for a source without history (a plain folder), "history=no",
//       one per line on stdout.
//   ADAPTER commit WORK BRANCH TREE
//       make BRANCH show the files under TREE (regular files, executables,
//       symlinks, never followed; every name is bytes, some not UTF-8), as
//       a descendant of what BRANCH showed. A new BRANCH starts from the
//       first branch's head. The first branch committed is the default.
//   ADAPTER force WORK BRANCH TREE
//       the same as a force push: BRANCH shows TREE in a commit that does
//       not descend from what it showed.
//   ADAPTER delete-branch WORK BRANCH
// Exit 0 when done, 3 when the source cannot do that (say why on stdout
// or stderr: the kit skips the contracts that need it), anything else is an
// error that stops the kit. An adapter gets 120 seconds per call.
//
// Thread safety: none; one kit run uses one adapter from one thread.
#ifndef TETHER_ENGINE_CONFORMANCE_FIXTURE_ADAPTER_H_
#define TETHER_ENGINE_CONFORMANCE_FIXTURE_ADAPTER_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tether/status.h"
#include "tether/types.h"

namespace tether::conformance {

// One file of a tree the kit wants: a file, an executable, or a symlink
// (whose bytes are its target).
struct FixtureFile {
  EntryKind kind = EntryKind::kFile;
  std::string bytes;
};

// A whole tree by path ('/'-separated bytes, not always UTF-8).
using FixtureTree = std::map<std::string, FixtureFile>;

// Writes `tree` into `dir`, which must not exist yet.
Status WriteTree(const FixtureTree& tree, const std::filesystem::path& dir);


class FixtureAdapter {
 public:
  struct Source {
    std::string url;
    bool history = true;
  };
  enum class Outcome { kDone, kUnsupported };

  // `command` is the adapter's path; `work` a folder of the kit's (made if
  // missing) holding the adapter's WORK and the trees it is given.
  FixtureAdapter(std::string command, std::filesystem::path work);

  // InvalidArgument when the adapter cannot run, exits with an error or
  // prints no url; Internal when it cannot be started at all.
  Result<Source> Init();
  Result<Outcome> Commit(const std::string& branch, const FixtureTree& tree);
  Result<Outcome> Force(const std::string& branch, const FixtureTree& tree);
  Result<Outcome> DeleteBranch(const std::string& branch);

  // Why the last call answered kUnsupported (what the adapter printed).
  const std::string& unsupported_reason() const { return unsupported_reason_; }

 private:
  Result<Outcome> WithTree(const char* verb, const std::string& branch, const FixtureTree& tree);
  // Runs the adapter with `args`; its stdout into *out.
  Result<Outcome> Run(const std::vector<std::string>& args, std::string* out);

  std::string command_;
  std::filesystem::path work_;
  int trees_ = 0;
  std::string unsupported_reason_;
};

}  // namespace tether::conformance

#endif  // TETHER_ENGINE_CONFORMANCE_FIXTURE_ADAPTER_H_
