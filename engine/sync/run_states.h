// The closed vocabularies of a sync, as types: the mode a run took, the
// outcome it ended with, the phases it went through, and the status a
// project is left in. Each value has exactly one string, defined here once
// (run_states.cc); the strings are what the database columns, the JSON of
// the API, the events and the CLI's output carry, and they never change.
// Code inside the engine compares the enums; strings are made (ToString) or
// read (Parse...) only where a value leaves or enters the engine.
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_SYNC_RUN_STATES_H_
#define TETHER_ENGINE_SYNC_RUN_STATES_H_

#include <optional>
#include <string_view>

namespace tether::sync {

// How a run brought the project to the branch head (sync_runs.mode).
enum class SyncMode {
  kNone,         // ""           not decided: the run ended before its diff (stored as NULL)
  kFull,         // "full"        no cursor: everything from nothing; or `sync --full`: the
                 //               whole tree against the stored rows, whatever the cursor
  kIncremental,  // "incremental" the cursor is an ancestor of the head: cursor..head
  kForcePush,    // "force_push"  the cursor is not an ancestor: the tree against the stored rows
  kBranchSwitch, // "branch_switch" the cursor was synced from another branch than the
                 //               selected one: cursor..head when it is an ancestor, else
                 //               the tree against the stored rows
  kNoop,         // "noop"        the cursor is the head: nothing to do
};

// How a run ended (sync_runs.outcome), or why none ran.
enum class RunOutcome {
  kRunning,      // "running"     claimed, not finished
  kSucceeded,    // "succeeded"
  kNoop,         // "noop"        nothing to do
  kFailed,       // "failed"
  kInterrupted,  // "interrupted" its process stopped, or it was abandoned before it started
  kCancelled,    // "cancelled"   asked to stop (Ctrl-C, `tether sync --cancel`, the API); nothing was written
  kBusy,         // "busy"        never recorded: another run held the project (the CLI's --json)
};

// The phases of a run, in order (the "phase" of phase.* events).
enum class Phase {
  kDiscover,  // "discover"
  kResolve,   // "resolve"
  kDiff,      // "diff"
  kWrite,     // "write"
  kAnalyze,   // "analyze"
};

// Where a project stands (projects.status).
enum class ProjectStatus {
  kNeverSynced,    // "never_synced"
  kRunning,        // "running"
  kSynced,         // "synced"
  kFailed,         // "failed"
  kBranchMissing,  // "branch_missing" its branch is gone; nothing was deleted
  kRateLimited,    // "rate_limited"   the provider said when to come back
};

const char* ToString(SyncMode mode);
const char* ToString(RunOutcome outcome);
const char* ToString(Phase phase);
const char* ToString(ProjectStatus status);

// nullopt for a string that is none of the values' ("" is SyncMode::kNone).
std::optional<SyncMode> ParseSyncMode(std::string_view text);
std::optional<RunOutcome> ParseRunOutcome(std::string_view text);
std::optional<Phase> ParsePhase(std::string_view text);
std::optional<ProjectStatus> ParseProjectStatus(std::string_view text);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_RUN_STATES_H_
