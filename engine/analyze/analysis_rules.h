// Which blobs the engine never gives to an analyzer, and why: the rules are
// the engine's, the same for every analyzer, and each skip records the
// rule's name so that an operator sees why a file has no analysis. Pure
// functions, safe from any thread.
#ifndef TETHER_ENGINE_ANALYZE_ANALYSIS_RULES_H_
#define TETHER_ENGINE_ANALYZE_ANALYSIS_RULES_H_

#include <cstdint>
#include <string>

#include "tether/storage.h"

namespace tether::analyze {

// "" when `work` may be analysed; otherwise the rule that skips it, for
// people: "binary", "no stored text: larger than the sync's content limit",
// "larger than the analysis limit of 1.0 MiB", "generated: marked
// \"@generated\"", "generated: a lock file", "minified: lines average 1200
// bytes". `max_bytes` is the analysis limit.
std::string SkipRule(const AnalysisWork& work, uint64_t max_bytes);

}  // namespace tether::analyze

#endif  // TETHER_ENGINE_ANALYZE_ANALYSIS_RULES_H_
