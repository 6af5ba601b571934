// The conformance kit for storage plugins: through the SDK interface alone,
// on a real database with Tether's schema (projects of the kit's own,
// removed after), it checks what the host relies on: a write and its
// cursor become visible together or not at all (a writer dropped without
// Commit, one whose cursor moved, one of a fenced epoch, one whose process
// is killed inside the transaction), every change kind lands as
// storage.h says, the read API pages and filters in byte order, projects
// stay apart while written at once, DeleteProject forgets, and no exception
// crosses the boundary.
//
// Killing a writer needs a process of its own: the kit runs
// `child_command` followed by "--hold-write PROJECT_ID:TENANT", which must
// be a process that loads the same storage and calls HoldWriteForKit.
//
// Thread safety: one call at a time; the kit itself uses several threads.
#ifndef TETHER_ENGINE_CONFORMANCE_STORAGE_KIT_H_
#define TETHER_ENGINE_CONFORMANCE_STORAGE_KIT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "engine/conformance/report.h"
#include "tether/status.h"
#include "tether/storage.h"

namespace tether::conformance {

// How many projects the kit writes: each check that could leave a project
// in another state than the kit expects has its own.
constexpr size_t kProjects = 12;

struct StorageKitOptions {
  std::vector<ProjectRef> projects;        // kProjects projects the storage holds nothing for; the kit's own,
                                           // of one tenant
  ProjectRef other_tenant;                 // one more, of another tenant; id 0: none could be made
  std::string other_tenant_why;            // why not, when id is 0
  bool own_database = false;               // the kit made the database (vectors, which nothing removes, may stay)
  bool fences = false;                     // built for SDK 3.4 or later: Fence and BeginFencedWrite
  bool keeps_analysis = false;             // built for SDK 3.2 or later: the analysis methods
  bool keeps_outputs = false;              // built for SDK 3.3 or later: repository outputs
  bool searches_text = false;              // built for SDK 3.5 or later: SearchText
  bool indexes_text_later = false;         // built for SDK 3.8 or later: IndexText
  std::vector<std::string> child_command;  // see above; empty skips the killed writer
  std::vector<std::string> child_environment;  // "NAME=value" added to the child's environment
                                               // (a database URL with a password: never in argv)
};

// The contracts, in report order, as (id, sentence) pairs.
const std::vector<std::pair<std::string, std::string>>& StorageContracts();

// Runs the kit against `storage` (owned by the caller) into *report. Not OK
// when the run could not go on: *report then holds what was checked before.
Status CheckStorage(Storage* storage, const StorageKitOptions& options, Report* report);

// The child's side of the killed writer: begins a write of `project` from
// its cursor, applies documents, prints "applied" on stdout and waits to be
// killed. Returns only on an error.
Status HoldWriteForKit(Storage* storage, const ProjectRef& project);

}  // namespace tether::conformance

#endif  // TETHER_ENGINE_CONFORMANCE_STORAGE_KIT_H_
