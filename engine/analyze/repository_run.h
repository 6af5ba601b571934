// RunRepositoryStep: an analyzer's repository step (repository_step.h) over
// one project. The files it is given are the project's current documents
// (Storage::ListDocuments); the change set is their difference from the
// files the step last completed on (Storage::ReadRepositorySnapshot), so a
// step that missed runs (stopped, not configured, --no-analyze) is given
// everything that changed since, and nothing else records what is left.
// What it puts and removes, and the new snapshot, are stored in one
// transaction (Storage::CommitRepositoryStep) only when it returns OK.
//
// The key a step completes under is its analyzer's key with the keys of
// the analyzers it needs folded into the settings hash: a new version of
// one of those is a first run again, since the results it read changed.
//
// Thread safety: one call at a time per project (the run's lease); calls
// for different projects may run at once.
#ifndef TETHER_ENGINE_ANALYZE_REPOSITORY_RUN_H_
#define TETHER_ENGINE_ANALYZE_REPOSITORY_RUN_H_

#include <cstdint>
#include <map>
#include <string>

#include "tether/analyzer.h"
#include "tether/repository_step.h"
#include "tether/storage.h"

namespace tether::analyze {

struct StepRun {
  Storage* storage = nullptr;  // borrowed; keeps repository outputs (ABI 3.3)
  bool storage_keeps_vectors = false;  // built for ABI 3.5
  ProjectRef project;
  std::string project_name;
  AnalyzerKey key;              // the step's analyzer's
  RepositoryStep* step = nullptr;  // borrowed
  // The current key of every analyzer the step needs, by id.
  std::map<std::string, AnalyzerKey> needed;
};

struct StepTally {
  int64_t changed = 0;  // files the step was given as changed
  int64_t written = 0;  // outputs put
  int64_t removed = 0;  // outputs removed
};

// Runs the step when a file or a key changed since it last completed.
// Errors: the storage's, and the step's (with its analyzer's name).
Result<StepTally> RunRepositoryStep(const StepRun& run);

// The key the step of `key` completes under, with `needed` folded in.
AnalyzerKey StepKey(const AnalyzerKey& key, const std::map<std::string, AnalyzerKey>& needed);

}  // namespace tether::analyze

#endif  // TETHER_ENGINE_ANALYZE_REPOSITORY_RUN_H_
