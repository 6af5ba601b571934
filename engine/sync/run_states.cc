#include "engine/sync/run_states.h"

#include <cstddef>
#include <utility>

namespace tether::sync {
namespace {

// One table per enum: ToString and Parse both read it, so a value and its
// string are written down once.
template <typename E>
using Names = std::pair<E, const char*>;

constexpr Names<SyncMode> kSyncModes[] = {
    {SyncMode::kNone, ""},
    {SyncMode::kFull, "full"},
    {SyncMode::kIncremental, "incremental"},
    {SyncMode::kForcePush, "force_push"},
    {SyncMode::kBranchSwitch, "branch_switch"},
    {SyncMode::kNoop, "noop"},
};

constexpr Names<RunOutcome> kRunOutcomes[] = {
    {RunOutcome::kRunning, "running"},
    {RunOutcome::kSucceeded, "succeeded"},
    {RunOutcome::kNoop, "noop"},
    {RunOutcome::kFailed, "failed"},
    {RunOutcome::kInterrupted, "interrupted"},
    {RunOutcome::kCancelled, "cancelled"},
    {RunOutcome::kBusy, "busy"},
};

constexpr Names<Phase> kPhases[] = {
    {Phase::kDiscover, "discover"},
    {Phase::kResolve, "resolve"},
    {Phase::kDiff, "diff"},
    {Phase::kWrite, "write"},
    {Phase::kAnalyze, "analyze"},
};

constexpr Names<ProjectStatus> kProjectStatuses[] = {
    {ProjectStatus::kNeverSynced, "never_synced"},
    {ProjectStatus::kRunning, "running"},
    {ProjectStatus::kSynced, "synced"},
    {ProjectStatus::kFailed, "failed"},
    {ProjectStatus::kBranchMissing, "branch_missing"},
    {ProjectStatus::kRateLimited, "rate_limited"},
};

template <typename E, size_t N>
const char* NameOf(const Names<E> (&table)[N], E value) {
  for (const Names<E>& entry : table) {
    if (entry.first == value) return entry.second;
  }
  return "";  // unreachable: every enumerator is in its table
}

template <typename E, size_t N>
std::optional<E> ValueOf(const Names<E> (&table)[N], std::string_view text) {
  for (const Names<E>& entry : table) {
    if (text == entry.second) return entry.first;
  }
  return std::nullopt;
}

}  // namespace

const char* ToString(SyncMode mode) { return NameOf(kSyncModes, mode); }
const char* ToString(RunOutcome outcome) { return NameOf(kRunOutcomes, outcome); }
const char* ToString(Phase phase) { return NameOf(kPhases, phase); }
const char* ToString(ProjectStatus status) { return NameOf(kProjectStatuses, status); }

std::optional<SyncMode> ParseSyncMode(std::string_view text) { return ValueOf(kSyncModes, text); }
std::optional<RunOutcome> ParseRunOutcome(std::string_view text) { return ValueOf(kRunOutcomes, text); }
std::optional<Phase> ParsePhase(std::string_view text) { return ValueOf(kPhases, text); }
std::optional<ProjectStatus> ParseProjectStatus(std::string_view text) { return ValueOf(kProjectStatuses, text); }

}  // namespace tether::sync
