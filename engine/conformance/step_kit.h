// The conformance kit's contracts for an analyzer's repository step
// (repository_step.h), run by the analyzer kit on analyzers built for SDK
// 3.3 or later that have one. The kit plays the engine: a view over a small
// repository of its own (ten files in seven languages, a README), the
// results of the analyzers the step needs (computed by those analyzers when
// the caller gives them, "no result" otherwise), vectors kept in memory,
// and a sink that keeps what Update puts and removes. It checks that:
//   - Update returns OK and every output is within RepositoryOutput's limits;
//   - two first runs over the same files make the same outputs;
//   - a run from a change set (a file edited, one deleted, one added, one
//     renamed, the README rewritten) leaves exactly what a first run over
//     the new files makes: a step that redoes only what changed must end
//     where redoing everything ends.
//
// Thread safety: one call at a time.
#ifndef TETHER_ENGINE_CONFORMANCE_STEP_KIT_H_
#define TETHER_ENGINE_CONFORMANCE_STEP_KIT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/conformance/report.h"
#include "tether/analyzer.h"
#include "tether/repository_step.h"

namespace tether::conformance {

struct StepKitOptions {
  // The analyzers the step Needs(), by id (owned by the caller). A needed
  // id without one gives every file "no result".
  std::map<std::string, Analyzer*> needed;
};

// The step contracts, in report order, as (id, sentence) pairs.
const std::vector<std::pair<std::string, std::string>>& StepContracts();

// Skips every step contract, saying `why`.
void SkipStep(ContractLog* log, const std::string& why);

// Checks `step` (owned by the caller) into `log`.
void CheckStep(RepositoryStep* step, const StepKitOptions& options, ContractLog* log);

}  // namespace tether::conformance

#endif  // TETHER_ENGINE_CONFORMANCE_STEP_KIT_H_
