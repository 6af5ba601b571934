// The conformance kit for providers: it puts the provider's source through
// a series of states with the author's fixture adapter (fixture_adapter.h)
// and checks, through the SDK interface alone, every contract provider.h
// states and the host relies on: the tree of each commit exactly, each path
// once per diff, exact renames, history, the documented error codes, reads
// on fresh and concurrent Repository objects, max_bytes, a sink's error,
// and that no exception crosses the boundary.
//
// The states, in order, on the branch "main" unless said: a first tree
// (text, an executable, symlinks, binary bytes, a 1 MiB file, an empty
// file, equal files, names with spaces, a leading dash, a tab, UTF-8 and
// bytes that are not UTF-8); a commit that edits, deletes, renames, changes
// a mode, retargets a symlink and turns a folder into a file and a file
// into a folder; a branch "feature/x" and several "many/bN"; "feature/x"
// deleted; a force push of "main". A state the adapter cannot make skips
// the contracts that need it, saying so. After the first tree, the edits
// and the force push, the engine's own sync (ProviderKitOptions::sync,
// given by the caller: this room runs no sync itself) must have stored
// exactly that state.
//
// Thread safety: one call at a time; the kit itself uses several threads.
#ifndef TETHER_ENGINE_CONFORMANCE_PROVIDER_KIT_H_
#define TETHER_ENGINE_CONFORMANCE_PROVIDER_KIT_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/conformance/report.h"
#include "tether/provider.h"
#include "tether/status.h"

namespace tether::conformance {

// One path as the engine's own sync stored it (the "synced" contract).
struct SyncedFile {
  EntryKind kind = EntryKind::kFile;
  uint32_t mode = 0;
  uint64_t size = 0;
  bool is_binary = false;
  bool has_content = false;
  std::string content;
};

// What a sync stored of one state: its mode ("full", "incremental",
// "force_push", "noop") and every stored path.
struct SyncedState {
  std::string mode;
  std::map<std::string, SyncedFile> files;
};

// Syncs branch main of the source at `url` (the adapter's) through the
// engine into a storage, the same project every call, and reads back what
// it stored. An error is the sync's.
using SyncThrough = std::function<Result<SyncedState>(const std::string& url)>;

struct ProviderKitOptions {
  std::string adapter;             // the fixture adapter's path
  std::filesystem::path work_dir;  // the kit's folder for the adapter's source and trees
  bool asks_branch_is_at = false;  // the provider was built for SDK ABI 3.7 or later
  int threads = 4;                 // Repository objects used at once
  SyncThrough sync;                // empty: the "synced" contract is skipped
  uint64_t max_content_bytes = 0;  // the sync's: larger text is stored without content
};

// The contracts, in report order, as (id, sentence) pairs.
const std::vector<std::pair<std::string, std::string>>& ProviderContracts();

// Runs the kit against `provider` (owned by the caller) into *report. Not
// OK when the run could not go on (the adapter failed or could not make
// the first two states): *report then holds what was checked before, and
// the rest as skipped.
Status CheckProvider(Provider* provider, const ProviderKitOptions& options, Report* report);

}  // namespace tether::conformance

#endif  // TETHER_ENGINE_CONFORMANCE_PROVIDER_KIT_H_
