// AnalyzeProject: the analyze phase of a sync, and `tether analyze`. It runs
// each analyzer over the blobs of the project's current documents that
// still need it, as the storage says (Storage::ListAnalysisWork): nothing
// else records what is left to do, so an analysis stopped anywhere (a
// crash, a cancel, a newer commit waiting) resumes where it stopped.
//
// Per page of work: blobs skipped by a rule (analysis_rules.h) are recorded
// as such without a call; the others are marked as started (durably), then
// analysed in parallel, then their results stored in one transaction. A
// blob whose mark was left by a process that died is analysed again alone;
// one left twice is recorded as poison and never given to the analyzer
// again (for that analyzer key), so a crash on hostile input cannot loop.
// An analyzer's error fails that blob only (retried on a later run unless
// the analyzer called the input invalid, at most three times); nothing here
// fails the sync.
//
// Thread safety: one call at a time per project is the caller's business
// (the run's lease); calls for different projects may run at once. The
// analyzers are called from several threads, as analyzer.h allows.
#ifndef TETHER_ENGINE_ANALYZE_ANALYZE_PROJECT_H_
#define TETHER_ENGINE_ANALYZE_ANALYZE_PROJECT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/db/run_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/analyzer.h"
#include "tether/repository_step.h"
#include "tether/storage.h"

namespace tether::analyze {

struct AnalyzeOptions {
  // Who marks blobs as started: a name unique to this process and run
  // (sync::NewLeaseOwner).
  std::string owner;
  // Whether the process that left a mark is gone (sync::LeaseOwnerIsGone).
  // A mark of a live process means another run analyses the blob now: it
  // is left to it. Required.
  std::function<bool(const std::string& owner)> owner_is_gone;
  int threads = 0;                  // analyzer calls at once; 0: the machine's cores
  int64_t time_limit_ms = 30000;    // per blob
  uint64_t max_bytes = 1048576;     // bigger blobs are skipped by rule
  int page_size = 256;              // blobs per page, mark and store (defaults.analysis_page_size)
  // The (blob, language) pairs the run wrote: those that needed no
  // analysis count as reused. Empty for `tether analyze`.
  std::vector<std::pair<BlobId, std::string>> written;
  // Asked between pages: true stops early, keeping what was stored. May be
  // empty.
  std::function<bool()> should_stop;
  // Blobs done so far of the total known (the total may grow as pages are
  // read). May be empty.
  std::function<void(int64_t done, int64_t total)> on_progress;
  // The project's name, for repository steps.
  std::string project_name;
};

// An analyzer as the config names it.
struct NamedAnalyzer {
  std::string name;
  Analyzer* analyzer = nullptr;  // borrowed
  bool analyses_blobs = true;    // Analyzer::AnalysesBlobs (ABI 3.3; true before)
  RepositoryStep* step = nullptr;  // Analyzer::Repository (ABI 3.3), borrowed; may be null
  // Why the step cannot run on this project's storage ("" when it can).
  std::string step_unusable;
  bool storage_keeps_vectors = false;  // the storage is built for ABI 3.5 or later
};

// The analyzers of `plugins` a project on the storage plugin `storage` can
// run (every loaded analyzer, in config order), each named as configured.
// When one cannot run (built for an SDK without analyzers, or the storage
// keeps no results), a tally saying why is added to `unusable` instead.
std::vector<NamedAnalyzer> UsableAnalyzers(const plugin_host::PluginHost& plugins, const std::string& storage,
                                           std::vector<db::AnalyzerTally>* unusable);

// One tally per analyzer, in the order given, named by its key's id: first
// every analyzer's per-blob work, then the repository steps
// (repository_run.h) of those whose needed analyzers left nothing to do.
std::vector<db::AnalyzerTally> AnalyzeProject(Storage* storage, const ProjectRef& project,
                                              const std::vector<NamedAnalyzer>& analyzers,
                                              const AnalyzeOptions& options);

// Brings the project's text index up to what writes stored, on a storage
// that indexes after the write (Storage::IndexText, SDK 3.8; nothing to do
// on another), a transaction per batch, until nothing is left or
// `should_stop` (may be empty) says so. Returns the documents indexed.
// Never fails: the storage's search reads what its index does not hold
// yet, so a storage's error is logged (naming `project_name`) and the
// indexing stops there.
int64_t IndexText(const plugin_host::PluginHost& plugins, const std::string& storage_name, Storage* storage,
                  const ProjectRef& project, const std::string& project_name,
                  const std::function<bool()>& should_stop);

// OK when `key` is one an analyzer may declare (analyzer.h); InvalidArgument
// naming the field otherwise.
Status CheckAnalyzerKey(const AnalyzerKey& key);

}  // namespace tether::analyze

#endif  // TETHER_ENGINE_ANALYZE_ANALYZE_PROJECT_H_
