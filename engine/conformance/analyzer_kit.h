// The conformance kit for analyzers: it calls Analyze, through the SDK
// interface and the host's own checking sink (engine/analyze), on a corpus
// of its own (small programs in several languages, an empty blob, 20,000
// lines, deep nesting, multibyte text, CRLF line ends, an unclosed comment,
// and optionally the author's files: text the engine could pass) and checks the contract of
// tether/analyzer.h: a valid key that never changes; output the sink
// accepts; the same output for the same bytes and language, twice, under
// another path, in another order and on several threads at once; a call
// that returns about when its time limit says; no exception across the
// boundary.
//
// An analyzer made of a repository step alone (AnalysesBlobs false, SDK
// 3.3) has its blob contracts skipped. An analyzer with a repository step
// has the step's contracts checked too (step_kit.h).
//
// Thread safety: one call at a time; the kit itself uses several threads.
#ifndef TETHER_ENGINE_CONFORMANCE_ANALYZER_KIT_H_
#define TETHER_ENGINE_CONFORMANCE_ANALYZER_KIT_H_

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/conformance/report.h"
#include "tether/analyzer.h"
#include "tether/status.h"

namespace tether::conformance {

struct AnalyzerKitOptions {
  bool knows_steps = false;             // built for SDK 3.3 or later: AnalysesBlobs may be asked
  std::filesystem::path inputs;         // the author's own files, added to the corpus ("" for none)
  int threads = 4;                      // calls at once
  // The analyzers its repository step Needs(), by id (step_kit.h).
  std::map<std::string, Analyzer*> needed;
};

// The contracts, in report order, as (id, sentence) pairs.
const std::vector<std::pair<std::string, std::string>>& AnalyzerContracts();

// Runs the kit against `analyzer` (owned by the caller) into *report. Not
// OK when the run could not go on (the author's inputs cannot be read).
Status CheckAnalyzer(Analyzer* analyzer, const AnalyzerKitOptions& options, Report* report);

}  // namespace tether::conformance

#endif  // TETHER_ENGINE_CONFORMANCE_ANALYZER_KIT_H_
