#include "engine/analyze/analyze_project.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

#include "engine/analyze/analysis_rules.h"
#include "engine/analyze/analysis_sink.h"
#include "engine/analyze/repository_run.h"
#include "engine/log/log.h"
#include "shared/clock.h"

namespace tether::analyze {
namespace {

using BlobKey = std::pair<BlobId, std::string>;  // (blob, language)

// An analyzer's attempts at one blob before it stops retrying it.
constexpr int32_t kMaxFailures = 3;

Status CheckKeyField(const char* field, const std::string& value, bool may_be_empty) {
  if (value.empty() && may_be_empty) return Status::Ok();
  bool printable = std::all_of(value.begin(), value.end(), [](char c) { return c > ' ' && c <= '~'; });
  if (value.empty() || value.size() > 64 || !printable) {
    return Status::InvalidArgument(std::string("the analyzer's key has ") + field + " \"" +
                                   (printable ? value : std::string("(not printable)")) +
                                   "\": it must be 1 to 64 printable ASCII characters without spaces");
  }
  return Status::Ok();
}

AnalysisResult Failed(const AnalysisWork& work, const Status& status) {
  AnalysisResult r;
  r.blob_id = work.blob_id;
  r.language = work.language;
  r.outcome = AnalysisOutcome::kFailed;
  r.reason = status.ToString();
  // Invalid input stays invalid; anything else may pass another time.
  r.retry = status.code() != StatusCode::kInvalidArgument && work.failures + 1 < kMaxFailures;
  return r;
}

AnalysisResult Recorded(const AnalysisWork& work, AnalysisOutcome outcome, std::string reason) {
  AnalysisResult r;
  r.blob_id = work.blob_id;
  r.language = work.language;
  r.outcome = outcome;
  r.reason = std::move(reason);
  return r;
}

// Stores batches of results in order on a thread of its own, so that the
// next page is analysed while the last one is written: at most one batch is
// being stored at a time, and Put waits for it before starting the next.
class ResultStorer {
 public:
  ResultStorer(Storage* storage, const ProjectRef& project, const AnalyzerKey& key)
      : storage_(storage), project_(project), key_(key) {}
  // Waits for the batch in flight; its error was the caller's to read from
  // Flush, and a destructor has no one to give it to.
  ~ResultStorer() { (void)Flush(); }
  ResultStorer(const ResultStorer&) = delete;
  ResultStorer& operator=(const ResultStorer&) = delete;

  // Starts storing `results` once the batch before them is stored. The
  // error of an earlier batch is returned instead (nothing more is stored).
  Status Put(std::vector<AnalysisResult> results) {
    TETHER_RETURN_IF_ERROR(Flush());
    if (results.empty()) return Status::Ok();
    batch_ = std::move(results);
    thread_ = std::thread([this] { status_ = storage_->PutAnalysisResults(project_, key_, batch_); });
    return Status::Ok();
  }

  // Waits until every batch is stored; the first error.
  Status Flush() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  Storage* storage_;
  const ProjectRef& project_;
  const AnalyzerKey& key_;
  std::vector<AnalysisResult> batch_;
  std::thread thread_;
  Status status_;
};

// One analyzer over one project.
class ProjectAnalysis {
 public:
  ProjectAnalysis(Storage* storage, const ProjectRef& project, Analyzer* analyzer, AnalyzerKey key,
                  const AnalyzeOptions& options)
      : storage_(storage),
        project_(project),
        analyzer_(analyzer),
        key_(std::move(key)),
        options_(options),
        storer_(storage, project_, key_) {}

  db::AnalyzerTally Run() {
    tally_.analyzer = key_.id;
    tally_.version = key_.version;
    tally_.settings_hash = key_.settings_hash;
    bool stopped = false;
    AnalysisWorkQuery query;
    query.limit = std::max(1, options_.page_size);
    std::set<BlobKey> seen;
    bool first_page = true;
    while (true) {
      Result<AnalysisWorkPage> page =
          next_page_ ? std::move(*next_page_) : storage_->ListAnalysisWork(project_, key_, query);
      next_page_.reset();
      if (!page.ok()) return Stop(page.status());
      if (first_page) {
        first_page = false;
        total_ = static_cast<int64_t>(page->work.size());
        // A count only when there is more than a page: a synced project
        // with nothing to do pays one query.
        if (page->more) {
          Result<AnalysisCounts> counts = storage_->CountAnalysis(project_, key_);
          if (counts.ok()) total_ = std::max<int64_t>(total_, counts->pending + counts->failed);
        }
        Progress();
      }
      for (const AnalysisWork& w : page->work) seen.emplace(w.blob_id, w.language);
      if (!page->work.empty()) {
        query.after_blob = page->work.back().blob_id;
        query.after_language = page->work.back().language;
      }
      // The next page is listed while this one is analysed.
      if (page->more) {
        list_next_ = [this, query] { next_page_.emplace(storage_->ListAnalysisWork(project_, key_, query)); };
      }
      Status done = RunPage(page->work);
      list_next_ = nullptr;
      if (!done.ok()) return Stop(done);
      if (!page->more) break;
      if (options_.should_stop && options_.should_stop()) {
        stopped = true;
        break;
      }
    }
    if (Status stored = FlushAll(); !stored.ok()) return Stop(stored);
    // Nothing is left for this key: every blob has its final result, none
    // to retry, none another process is at.
    tally_.complete = !stopped && tally_.failed == 0 && busy_ == 0;
    std::set<BlobKey> written(options_.written.begin(), options_.written.end());
    for (const BlobKey& blob : written) {
      if (seen.count(blob) == 0) ++tally_.reused;
    }
    return tally_;
  }

 private:
  db::AnalyzerTally Stop(const Status& status) {
    // The error that stops the analysis is the one reported; results not yet
    // stored only have to be (their store's own error would say less).
    (void)FlushAll();
    tally_.error = status.ToString();
    return tally_;
  }

  void Progress() {
    if (!options_.on_progress) return;
    total_ = std::max(total_, done_);
    options_.on_progress(done_, total_);
  }

  Status RunPage(const std::vector<AnalysisWork>& work) {
    std::vector<AnalysisResult> recorded;
    std::vector<const AnalysisWork*> batch, suspects;
    for (const AnalysisWork& w : work) {
      if (w.unfinished > 0) {
        // Someone started it and never finished. A live process may still
        // be at it (another run of a project with the same content).
        if (!w.marked_by.empty() && !options_.owner_is_gone(w.marked_by)) {
          ++busy_;
          continue;
        }
        if (w.unfinished >= 2) {
          recorded.push_back(Recorded(w, AnalysisOutcome::kPoison,
                                      "poison: the process analysing it died " + std::to_string(w.unfinished) +
                                          " times (a crash of the analyzer on this input?); it is not analysed "
                                          "again until the analyzer's version changes"));
          ++tally_.skipped;
          continue;
        }
      }
      std::string rule = SkipRule(w, options_.max_bytes);
      if (!rule.empty()) {
        recorded.push_back(Recorded(w, AnalysisOutcome::kSkipped, std::move(rule)));
        ++tally_.skipped;
        continue;
      }
      (w.unfinished > 0 ? suspects : batch).push_back(&w);
    }
    done_ += static_cast<int64_t>(recorded.size());
    unstored_.insert(unstored_.end(), std::make_move_iterator(recorded.begin()),
                     std::make_move_iterator(recorded.end()));
    TETHER_RETURN_IF_ERROR(AnalyseAndStore(batch));
    // One at a time, everything before it stored: should it crash again,
    // only its own mark is left.
    for (const AnalysisWork* w : suspects) {
      TETHER_RETURN_IF_ERROR(FlushAll());
      TETHER_RETURN_IF_ERROR(AnalyseAndStore({w}));
      TETHER_RETURN_IF_ERROR(FlushAll());
    }
    Progress();
    return Status::Ok();
  }

  // Hands the results not yet stored to storer_.
  Status StoreUnstored() {
    if (unstored_.empty()) return Status::Ok();
    std::vector<AnalysisResult> batch;
    batch.swap(unstored_);
    return storer_.Put(std::move(batch));
  }

  // Stores every result so far; the first error.
  Status FlushAll() {
    Status handed = StoreUnstored();
    Status stored = storer_.Flush();
    return stored.ok() ? handed : stored;
  }

  // Marks `work` started, starts storing the results before it (storer_
  // writes them while this page is analysed: marking first, because the
  // storage has one writer, and a mark would wait for the store), analyses
  // it on several threads, and keeps its results in unstored_.
  Status AnalyseAndStore(const std::vector<const AnalysisWork*>& work) {
    if (work.empty()) return Status::Ok();
    std::vector<AnalysisWork> marks;
    marks.reserve(work.size());
    for (const AnalysisWork* w : work) {
      AnalysisWork m;
      m.blob_id = w->blob_id;
      m.language = w->language;
      marks.push_back(std::move(m));
    }
    TETHER_RETURN_IF_ERROR(storage_->MarkAnalysisStarted(project_, key_, marks, options_.owner));
    TETHER_RETURN_IF_ERROR(StoreUnstored());
    std::vector<AnalysisResult> results(work.size());
    // The biggest blobs first, so that no thread is left alone with a big
    // one at the end of the page while the others wait.
    std::vector<size_t> order(work.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return work[a]->content.size() > work[b]->content.size(); });
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < work.size(); i = next++) results[order[i]] = AnalyseOne(*work[order[i]]);
    };
    size_t threads = options_.threads > 0 ? static_cast<size_t>(options_.threads)
                                          : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, work.size());
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    if (list_next_ && threads > 1) {
      std::function<void()> list_next = std::move(list_next_);
      list_next_ = nullptr;
      list_next();
    }
    worker();
    for (std::thread& t : pool) t.join();
    for (const AnalysisResult& r : results) {
      if (r.outcome == AnalysisOutcome::kAnalyzed) ++tally_.analyzed;
      else ++tally_.failed;
    }
    done_ += static_cast<int64_t>(results.size());
    unstored_.insert(unstored_.end(), std::make_move_iterator(results.begin()),
                     std::make_move_iterator(results.end()));
    return Status::Ok();
  }

  AnalysisResult AnalyseOne(const AnalysisWork& w) {
    AnalysisInput input;
    input.blob_id = w.blob_id;
    input.content = w.content;
    input.language = w.language;
    input.path = w.path;
    input.time_limit_ms = options_.time_limit_ms;
    ResultSink sink;
    Stopwatch watch;
    Status status;
    try {
      status = analyzer_->Analyze(input, &sink);
    } catch (const std::exception& e) {
      status = Status::Internal(std::string("the analyzer threw: ") + e.what());
    } catch (...) {
      status = Status::Internal("the analyzer threw a non-standard exception");
    }
    int64_t elapsed = watch.ElapsedMillis();
    if (status.ok() && elapsed > options_.time_limit_ms) {
      status = Status::Unavailable("took " + std::to_string(elapsed) + " ms, over the limit of " +
                                   std::to_string(options_.time_limit_ms) + " ms");
    }
    if (!status.ok()) return Failed(w, status.WithContext(key_.id + " on \"" + w.path + "\""));
    AnalysisResult r = sink.Take();
    r.blob_id = w.blob_id;
    r.language = w.language;
    return r;
  }

  Storage* storage_;
  const ProjectRef& project_;
  Analyzer* analyzer_;
  const AnalyzerKey key_;
  const AnalyzeOptions& options_;
  ResultStorer storer_;
  std::vector<AnalysisResult> unstored_;  // analysed (or skipped), not yet handed to storer_
  // Lists the next page into next_page_: Run sets it, AnalyseAndStore calls
  // it once the other threads are at the page.
  std::function<void()> list_next_;
  std::optional<Result<AnalysisWorkPage>> next_page_;
  db::AnalyzerTally tally_;
  int64_t done_ = 0;
  int64_t total_ = 0;
  int64_t busy_ = 0;  // blobs left to the live process that marked them
};

}  // namespace

Status CheckAnalyzerKey(const AnalyzerKey& key) {
  TETHER_RETURN_IF_ERROR(CheckKeyField("id", key.id, false));
  TETHER_RETURN_IF_ERROR(CheckKeyField("version", key.version, false));
  return CheckKeyField("settings_hash", key.settings_hash, true);
}

std::vector<NamedAnalyzer> UsableAnalyzers(const plugin_host::PluginHost& plugins, const std::string& storage,
                                           std::vector<db::AnalyzerTally>* unusable) {
  std::vector<NamedAnalyzer> usable;
  const bool keeps = plugins.StorageKeepsAnalysis(storage);
  for (const std::string& name : plugins.AnalyzerNames()) {
    Result<Analyzer*> analyzer = plugins.FindAnalyzer(name);
    db::AnalyzerTally tally;
    tally.analyzer = name;
    if (!analyzer.ok()) {
      tally.error = analyzer.status().ToString();
    } else if (!keeps) {
      tally.error = "storage plugin \"" + storage + "\" keeps no analysis results (it is built for an SDK before 3.2)";
    } else {
      NamedAnalyzer named;
      named.name = name;
      named.analyzer = *analyzer;
      named.storage_keeps_vectors = plugins.StorageKeepsVectors(storage);
      if (plugins.AnalyzerKnowsSteps(name)) {
        named.analyses_blobs = named.analyzer->AnalysesBlobs();
        named.step = named.analyzer->Repository();
        if (named.step != nullptr && !plugins.StorageKeepsOutputs(storage)) {
          named.step_unusable = "storage plugin \"" + storage +
                                "\" keeps no repository outputs (it is built for an SDK before 3.3)";
        }
      }
      usable.push_back(std::move(named));
      continue;
    }
    unusable->push_back(std::move(tally));
  }
  return usable;
}

int64_t IndexText(const plugin_host::PluginHost& plugins, const std::string& storage_name, Storage* storage,
                  const ProjectRef& project, const std::string& project_name,
                  const std::function<bool()>& should_stop) {
  // Documents per transaction: short enough for a cancel or another
  // writer to come between two.
  constexpr int64_t kBatch = 500;
  if (!plugins.StorageIndexesTextLater(storage_name)) return 0;
  int64_t total = 0;
  while (!should_stop || !should_stop()) {
    Result<int64_t> indexed = storage->IndexText(project, kBatch);
    if (!indexed.ok()) {
      logging::LogWarning("text index not brought up to date; search reads the rest",
                          {{"project", project_name}, {"error", indexed.status().ToString()}});
      break;
    }
    if (*indexed == 0) break;
    total += *indexed;
  }
  return total;
}

std::vector<db::AnalyzerTally> AnalyzeProject(Storage* storage, const ProjectRef& project,
                                              const std::vector<NamedAnalyzer>& analyzers,
                                              const AnalyzeOptions& options) {
  std::vector<db::AnalyzerTally> tallies;
  std::vector<AnalyzerKey> keys;  // for each tally; empty id when invalid
  for (const NamedAnalyzer& named : analyzers) {
    AnalyzerKey key = named.analyzer->Key();
    if (Status valid = CheckAnalyzerKey(key); !valid.ok()) {
      db::AnalyzerTally tally;
      tally.analyzer = named.name;
      tally.error = valid.WithContext("analyzer plugin \"" + named.name + "\"").ToString();
      tallies.push_back(std::move(tally));
      keys.emplace_back();
      continue;
    }
    if (named.analyses_blobs) {
      tallies.push_back(ProjectAnalysis(storage, project, named.analyzer, key, options).Run());
    } else {
      db::AnalyzerTally tally;
      tally.analyzer = key.id;
      tally.version = key.version;
      tally.settings_hash = key.settings_hash;
      tally.complete = true;  // no blob to analyse; its step says the rest
      tallies.push_back(std::move(tally));
    }
    keys.push_back(std::move(key));
    if (options.should_stop && options.should_stop()) return tallies;
  }
  // Whether each analyzer's blobs are done, before any step runs (a step
  // may need its own analyzer's results).
  std::vector<bool> finished;
  for (const db::AnalyzerTally& t : tallies) finished.push_back(t.complete && t.error.empty());
  for (size_t i = 0; i < tallies.size(); ++i) {
    const NamedAnalyzer& named = analyzers[i];
    db::AnalyzerTally& tally = tallies[i];
    if (named.step == nullptr || keys[i].id.empty()) continue;
    tally.has_step = true;
    tally.complete = false;  // until the step has run
    if (!named.step_unusable.empty()) {
      tally.error = named.step_unusable;
      continue;
    }
    if (!tally.error.empty()) continue;
    if (options.should_stop && options.should_stop()) break;
    StepRun run;
    run.storage = storage;
    run.storage_keeps_vectors = named.storage_keeps_vectors;
    run.project = project;
    run.project_name = options.project_name;
    run.key = keys[i];
    run.step = named.step;
    std::string waits;
    for (const std::string& id : named.step->Needs()) {
      auto need = std::find_if(keys.begin(), keys.end(), [&](const AnalyzerKey& k) { return k.id == id; });
      if (need == keys.end()) {
        waits = "its repository step needs analyzer \"" + id + "\", which is not configured";
        break;
      }
      if (!finished[static_cast<size_t>(need - keys.begin())]) {
        waits = "its repository step waits for analyzer \"" + id + "\" to finish the project's files";
        break;
      }
      run.needed[id] = *need;
    }
    if (!waits.empty()) {
      tally.error = waits;
      continue;
    }
    Result<StepTally> step = RunRepositoryStep(run);
    if (!step.ok()) {
      tally.error = step.status().ToString();
      continue;
    }
    tally.step_changed = step->changed;
    tally.step_written = step->written;
    tally.step_removed = step->removed;
    tally.complete = true;
  }
  return tallies;
}

}  // namespace tether::analyze
