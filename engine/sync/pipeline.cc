#include "engine/sync/pipeline.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shared/clock.h"
#include "engine/analyze/analyze_project.h"
#include "engine/db/project_store.h"
#include "engine/sync/cancellation.h"
#include "engine/sync/change_feed.h"
#include "engine/sync/change_set.h"
#include "engine/sync/change_writer.h"
#include "engine/sync/content_rules.h"
#include "engine/log/log.h"
#include "engine/sync/lease_owner.h"
#include "engine/sync/stored_cursor.h"
#include "engine/sync/tree_diff.h"
#include "tether/provider.h"
#include "tether/storage.h"

namespace tether::sync {
namespace {

// `primary` with a failure of the clean-up that followed it added to its
// message; the code (and a rate limit's retry time) stay those of
// `primary`. `primary` itself when the clean-up succeeded.
Status AlsoFailed(const Status& primary, const std::string& cleanup, const Status& cleanup_status) {
  if (cleanup_status.ok()) return primary;
  std::string message = primary.message() + "; then " + cleanup + " failed: " + cleanup_status.ToString();
  if (primary.code() == StatusCode::kRateLimited) {
    return Status::RateLimited(std::move(message), primary.retry_after_seconds());
  }
  return Status(primary.code(), std::move(message));
}

// The state of one run while its phases execute.
class RunState {
 public:
  RunState(db::Database* db, const plugin_host::PluginHost* plugins, EventLog* events,
           const SyncOptions& options, db::Project project, int64_t lease_epoch, db::SyncRun* run,
           RunCancellation* cancel)
      : db_(db), plugins_(plugins), events_(events), options_(options),
        project_(std::move(project)), lease_epoch_(lease_epoch), run_(run), cancel_(cancel) {}

  // A diff still running (the run stopped before or during its write) is
  // stopped and waited for.
  ~RunState() {
    if (feed_ != nullptr) feed_->Close();
    if (diff_thread_.joinable()) diff_thread_.join();
  }

  Status Execute() {
    TETHER_RETURN_IF_ERROR(RunPhase(Phase::kDiscover, &run_->timings.discover_ms, [&] { return Discover(); }));
    TETHER_RETURN_IF_ERROR(RunPhase(Phase::kResolve, &run_->timings.resolve_ms, [&] { return Resolve(); }));
    TETHER_RETURN_IF_ERROR(RunPhase(Phase::kDiff, &run_->timings.diff_ms, [&] { return Diff(); }));
    if (mode_ != SyncMode::kNoop) {
      TETHER_RETURN_IF_ERROR(RunPhase(Phase::kWrite, &run_->timings.write_ms, [&] { return Write(); }));
    }
    // On a noop run too, when there are analyzers: an analysis stopped
    // before (a crash, a cancel, a newer commit that was waiting) goes on
    // where it stopped.
    if (!options_.analyze) return Status::Ok();
    if (mode_ == SyncMode::kNoop) {
      // Without analyzers the phase only catches the text index up: after
      // a run that left it behind (`--no-analyze`, a stop), not after
      // every noop.
      const bool nothing = plugins_->AnalyzerNames().empty() ? !TextIndexBehind() : AnalysisUpToDate();
      if (nothing) return Status::Ok();
    }
    committed_ = true;  // nothing after the write stops the run: the copy is in
    return RunPhase(Phase::kAnalyze, &run_->timings.analyze_ms, [&] { return Analyze(); });
  }

  void EmitEvent(EventBody body) {
    Event event;
    event.project_id = project_.id;
    event.tenant = project_.tenant_id;
    event.run_id = run_->id;
    event.body = std::move(body);
    events_->Emit(std::move(event));
  }

  bool branch_missing() const { return branch_missing_; }
  SyncMode mode() const { return mode_; }

  // Where a cancel stopped the run, for its record: "during write",
  // "before diff".
  std::string CancelledWhere() const {
    return std::string(in_phase_ ? "during " : "before ") + ToString(phase_);
  }

 private:
  // Runs one phase, unless a cancel came: checked before the phase, except
  // once the write has committed, when the run can only end as it would
  // have. The database is read before the first phase whatever the poll
  // interval (a request may have come while the run waited for a worker),
  // before the others once the interval has passed: a no-op run's phases
  // take a few milliseconds in all.
  template <typename Fn>
  Status RunPhase(Phase phase, double* elapsed_ms, Fn&& fn) {
    phase_ = phase;
    in_phase_ = false;
    if (!committed_) TETHER_RETURN_IF_ERROR(cancel_->Check(/*poll_now=*/phase == Phase::kDiscover));
    in_phase_ = true;
    EmitEvent(PhaseStarted{phase});
    Stopwatch watch;
    Status status = fn();
    *elapsed_ms = watch.ElapsedMillisExact();
    if (!status.ok()) {
      EmitEvent(PhaseFailed{phase, cancel_->cancelled() ? status.message() : status.ToString()});
      return status.WithContext(ToString(phase));
    }
    EmitEvent(PhaseFinished{phase, *elapsed_ms});
    return Status::Ok();
  }

  Status Discover() {
    Result<Provider*> provider = plugins_->FindProvider(project_.provider);
    if (!provider.ok()) return provider.status();
    Result<Storage*> storage = plugins_->FindStorage(project_.storage);
    if (!storage.ok()) return storage.status();
    storage_ = *storage;
    provider_ = *provider;
    Result<std::unique_ptr<Repository>> repo = provider_->Open(project_.repo_url);
    if (!repo.ok()) return repo.status();
    repo_ = std::move(repo).value();
    // An unchanged branch, said cheaply by the provider (local-git reads one
    // ref file and starts no libgit2): the run is a no-op without resolving.
    if (!options_.full && plugins_->ProviderTellsBranchIsAt(project_.provider)) {
      TETHER_RETURN_IF_ERROR(ReadCursor());
      if (!cursor_.empty() && repo_->BranchIsAt(project_.branch, cursor_)) {
        unchanged_ = true;
        return Status::Ok();
      }
    }
    // The selected branch is looked up directly: its cost does not grow
    // with the number of refs (a mirror of a GitHub repository holds tens
    // of thousands, refs/pull/* mostly). Only a branch that is not found
    // is worth a list, which tells a missing branch from a repository the
    // provider cannot list.
    // The head found here is the one Resolve takes: a remote provider's
    // ResolveBranch is a round trip to its server, asked once a run.
    Result<CommitId> head = repo_->ResolveBranch(project_.branch);
    if (head.ok()) {
      discovered_head_ = *head;
      return Status::Ok();
    }
    if (head.status().code() != StatusCode::kNotFound) return head.status();
    Result<BranchList> branches = repo_->ListBranches();
    if (!branches.ok()) return branches.status();
    for (const Branch& branch : branches->branches) {
      if (branch.name == project_.branch) return Status::Ok();  // created since: the branch is there
    }
    // The provider's message may say more (GitHub names the branch a
    // renamed one became).
    std::string why = "no longer exists in " + project_.repo_url;
    if (!head.status().message().empty()) why = head.status().message();
    branch_missing_ = true;
    return Status::NotFound("branch \"" + project_.branch + "\": " + why +
                            "; nothing was deleted (select another branch with `tether project "
                            "select-branch " + project_.name + " BRANCH`)");
  }

  Status Resolve() {
    if (unchanged_) {
      run_->to_commit = cursor_;
      return Status::Ok();
    }
    Result<CommitId> head =
        discovered_head_.empty() ? repo_->ResolveBranch(project_.branch) : Result<CommitId>(discovered_head_);
    if (!head.ok()) {
      branch_missing_ = head.status().code() == StatusCode::kNotFound;
      return head.status();
    }
    // An empty id would read as "no commit" (and match an empty cursor).
    if (!IsProviderId(*head)) {
      return Status::Internal("provider \"" + project_.provider + "\" resolved branch \"" + project_.branch +
                              "\" to \"" + DisplayPath(*head) +
                              "\", which is not a commit id (non-empty printable ASCII without spaces)");
    }
    run_->to_commit = *head;
    return Status::Ok();
  }

  Status Diff() {
    TETHER_RETURN_IF_ERROR(ReadCursor());
    run_->from_commit = cursor_;
    if (cursor_ == run_->to_commit && !options_.full) {
      SetMode(SyncMode::kNoop);
      return Status::Ok();
    }
    // A first sync: every entry of the head, added, planned on a thread of
    // its own into feed_. The phase ends when the diff ended, or when the
    // feed holds ChangeFeed::kMaxBatchesAhead batches: then the rest of the
    // diff streams into the write, so that a tree of any size is never held
    // whole (and only such a large one holds the storage's write while the
    // provider still diffs).
    if (cursor_.empty()) {
      SetMode(SyncMode::kFull);
      feed_ = std::make_unique<ChangeFeed>();
      planner_ = std::make_unique<ChangePlanner>(project_.provider);
      diff_thread_ = std::thread([this] { feed_->End(StreamDiff()); });
      // A cancel stops the diff through its sink, with the cancel's status.
      while (!feed_->WaitFullOrEnded(ChangeWriter::kWaitSlice)) {
        Status go_on = cancel_->Check();
        if (!go_on.ok()) {
          feed_->Close(go_on);
          diff_thread_.join();
          return go_on;
        }
      }
      diff_phase_over_.store(true);
      if (!feed_->ended()) return Status::Ok();
      diff_thread_.join();
      TETHER_RETURN_IF_ERROR(feed_->end_status());
      return CheckPathsOnce();
    }
    std::vector<Change> changes;
    TETHER_RETURN_IF_ERROR(DiffFromCursor(&changes));
    return changes_.Build(project_.provider, std::move(changes));
  }

  // The provider's change set from the cursor to the branch head into
  // `changes` (tree_diff.h); sets the run's mode.
  Status DiffFromCursor(std::vector<Change>* changes) {
    DiffHooks hooks;
    hooks.check = [this] { return cancel_->Check(); };
    hooks.progress = [this](int64_t seen) { DiffProgress(seen); };
    const bool switched = !cursor_.empty() && !options_.full && BranchSwitched(cursor_);
    Result<DiffBasis> basis =
        DiffToHead(repo_.get(), storage_, Ref(), cursor_, run_->to_commit, options_.full, hooks, changes);
    if (!basis.ok()) return basis.status();
    switch (*basis) {
      case DiffBasis::kNothing: SetMode(SyncMode::kFull); break;
      case DiffBasis::kAncestor: SetMode(switched ? SyncMode::kBranchSwitch : SyncMode::kIncremental); break;
      case DiffBasis::kStoredRows:
        SetMode(options_.full ? SyncMode::kFull : switched ? SyncMode::kBranchSwitch : SyncMode::kForcePush);
        break;
    }
    return Status::Ok();
  }

  // How far the diff got, every 100 ms while the diff phase lasts (a
  // first sync's diff goes on into the write: then the write's progress
  // says it). From the diff's thread.
  void DiffProgress(int64_t seen) {
    if (diff_phase_over_.load() || diff_progress_.ElapsedMillis() < 100) return;
    EmitEvent(PhaseProgress{Phase::kDiff, seen, 0});
    diff_progress_ = Stopwatch();
  }

  // Whether the cursor was synced from another branch than the one the
  // project follows now (a select-branch since): the last run that left
  // the storage at the cursor names its branch.
  bool BranchSwitched(const CommitId& cursor) {
    Result<std::vector<db::SyncRun>> recent = db::RunStore(db_).List(project_.id, 50);
    if (!recent.ok()) return false;
    for (const db::SyncRun& r : *recent) {
      if (r.id == run_->id || r.to_commit != cursor) continue;
      std::optional<RunOutcome> outcome = ParseRunOutcome(r.outcome);
      if (outcome != RunOutcome::kSucceeded && outcome != RunOutcome::kNoop) continue;
      return !r.branch.empty() && r.branch != project_.branch;
    }
    return false;
  }

  Status Write() {
    // What the write will do, recorded before it starts: should the process
    // die after the storage committed but before the run is finished, the
    // next run finds the cursor at to_commit and records this run as the
    // success it was (RunStore::MarkInterrupted). A write whose diff still
    // runs knows its counts only at its end: such a run is recorded with
    // none.
    const bool diffing = diff_thread_.joinable();
    run_->counts = feed_ == nullptr ? changes_.counts() : diffing ? db::RunCounts() : planner_->counts();
    TETHER_RETURN_IF_ERROR(db::RunStore(db_).RecordPlan(*run_));
    // Fenced by the lease's epoch when the storage can (ABI 3.4): a newer
    // run that took the project over makes this commit fail.
    Result<std::unique_ptr<StorageWriter>> writer =
        plugins_->StorageFences(project_.storage) ? storage_->BeginFencedWrite(Ref(), run_->from_commit, lease_epoch_)
                                                  : storage_->BeginWrite(Ref(), run_->from_commit);
    if (!writer.ok()) return writer.status();
    // Another reader is opened once the content read says the change set
    // is large enough to pay for it (ChangeWriter::kReaderBytes). While the
    // diff walks the tree with repo_, every reader is opened.
    const size_t max_readers = std::thread::hardware_concurrency() > 1 ? kMaxReaders : 1;
    ChangeWriter::OpenReader open_reader = [this] { return provider_->Open(project_.repo_url); };
    std::unique_ptr<ChangeFeed> whole;
    ChangeFeed* feed = feed_.get();
    if (feed == nullptr) {
      whole = std::make_unique<ChangeFeed>(changes_);
      feed = whole.get();
    }
    // "0 of N" first: a progress bar knows its total before a file is
    // written, unless the diff still runs.
    EmitEvent(PhaseProgress{Phase::kWrite, 0, diffing ? 0 : feed->total_changes()});
    Stopwatch since_progress;
    ChangeWriterHooks hooks;
    hooks.on_refused = [this](const std::string& path, const std::string& reason) {
      EmitEvent(PathRefused{path, reason});
    };
    hooks.on_progress = [&](int64_t done, int64_t total) {
      if (since_progress.ElapsedMillis() < 100 && done != total) return;
      EmitEvent(PhaseProgress{Phase::kWrite, done, total});
      since_progress = Stopwatch();
    };
    hooks.check_cancel = [this] { return cancel_->Check(); };
    ChangeWriter change_writer(diffing ? nullptr : repo_.get(), std::move(open_reader), max_readers,
                               options_.max_content_bytes, std::move(hooks));
    // On any error, a cancel included, the writer is destroyed on return
    // without Commit: nothing of the change is kept, the cursor stays. Run
    // closes the feed whatever it returns, which stops a diff still running.
    Status written = change_writer.Run(feed, run_->to_commit, writer->get(), &run_->counts.bytes_read);
    if (diffing) diff_thread_.join();
    TETHER_RETURN_IF_ERROR(written);
    if (diffing) {
      TETHER_RETURN_IF_ERROR(CheckPathsOnce());
      const int64_t bytes_read = run_->counts.bytes_read;
      run_->counts = planner_->counts();
      run_->counts.bytes_read = bytes_read;
    }
    // The last moment a cancel can stop the run.
    TETHER_RETURN_IF_ERROR(cancel_->Check(/*poll_now=*/true));
    TETHER_RETURN_IF_ERROR((*writer)->Commit(run_->to_commit));
    committed_ = true;
    return Status::Ok();
  }

  // Whether a streamed diff named a path twice: its paths listed again
  // from the provider only when its keys say one may have come twice.
  Status CheckPathsOnce() {
    return planner_->CheckPathsOnce([&](const std::function<void(const std::string&)>& visit) {
      PathLister lister(visit);
      return repo_->Diff("", run_->to_commit, &lister);
    });
  }

  // Every path of a change set, for a second look when a path may have
  // come twice (ChangePlanner::CheckPathsOnce).
  class PathLister : public ChangeSink {
   public:
    explicit PathLister(const std::function<void(const std::string&)>& visit) : visit_(visit) {}
    Status OnChange(const Change& change) override {
      visit_(change.entry.path);
      if (change.kind == ChangeKind::kRenamed) visit_(change.old_path);
      return Status::Ok();
    }

   private:
    const std::function<void(const std::string&)>& visit_;
  };

  // Plans each change of the head's whole tree as the provider gives it
  // and publishes them to `feed` in batches; on its own thread, the only
  // user of repo_ while it runs. Stops when the feed is closed (the write
  // stopped). Collects what the analyze phase needs to know of the written
  // blobs, when it will run.
  class FeedSink : public ChangeSink {
   public:
    FeedSink(RunState* run, ChangePlanner* planner, ChangeFeed* feed,
             std::vector<std::pair<BlobId, std::string>>* written)
        : run_(run), planner_(planner), feed_(feed), written_(written) {}
    Status OnChange(const Change& change) override {
      // Stopped (a cancel, a failed write): the provider gets why.
      TETHER_RETURN_IF_ERROR(feed_->closed_status());
      ++seen_;
      run_->DiffProgress(seen_);
      const size_t before = batch_.size();
      TETHER_RETURN_IF_ERROR(planner_->Plan(change, &batch_));
      if (written_ != nullptr) {
        for (size_t i = before; i < batch_.size(); ++i) {
          std::optional<std::pair<BlobId, std::string>> blob = WrittenBlob(batch_[i]);
          if (blob) written_->push_back(std::move(*blob));
        }
      }
      if (batch_.size() < ChangeFeed::kBatchChanges) return Status::Ok();
      return Flush();
    }
    Status Flush() {
      if (batch_.empty()) return Status::Ok();
      if (!feed_->Publish(std::move(batch_))) return feed_->closed_status();
      batch_ = {};
      batch_.reserve(ChangeFeed::kBatchChanges);
      return Status::Ok();
    }

   private:
    RunState* run_;
    ChangePlanner* planner_;
    ChangeFeed* feed_;
    int64_t seen_ = 0;
    std::vector<std::pair<BlobId, std::string>>* written_;
    std::vector<PlannedChange> batch_;
  };

  Status StreamDiff() {
    const bool analyze = options_.analyze && !plugins_->AnalyzerNames().empty();
    FeedSink sink(this, planner_.get(), feed_.get(), analyze ? &written_ : nullptr);
    TETHER_RETURN_IF_ERROR(repo_->Diff("", run_->to_commit, &sink));
    return sink.Flush();
  }

  // The (blob, language) of a change the write stores a file's content
  // for, which the analyze phase counts as reused when it needs no
  // analysis.
  static std::optional<std::pair<BlobId, std::string>> WrittenBlob(const PlannedChange& planned) {
    const Change& change = planned.change;
    if (!planned.refused.empty() || change.kind == ChangeKind::kDeleted ||
        !SameContentKind(change.entry.kind, EntryKind::kFile)) {
      return std::nullopt;
    }
    return std::make_pair(change.entry.blob_id, DetectLanguage(change.entry.path));
  }

  // Whether the storage's text index may lack content a write stored (SDK
  // 3.8 storages index after the write, in the analyze phase, until
  // nothing is left): unless the last run before this one that ran its
  // analyze phase finished, with only noop runs after it (they write
  // nothing). A run stopped or killed, and a first run, leave it behind.
  bool TextIndexBehind() {
    if (!plugins_->StorageIndexesTextLater(project_.storage)) return false;
    // Bounded: after that many noops without the phase, one runs it (and
    // finds nothing).
    constexpr int kRunsBack = 20;
    Result<std::vector<db::SyncRun>> recent = db::RunStore(db_).List(project_.id, kRunsBack);
    if (!recent.ok()) return true;
    for (const db::SyncRun& r : *recent) {
      if (r.id == run_->id) continue;
      const std::optional<RunOutcome> outcome = ParseRunOutcome(r.outcome);
      const bool analyzed = r.timings.analyze_ms >= 0;
      if (outcome == RunOutcome::kNoop && !analyzed) continue;
      return !analyzed || (outcome != RunOutcome::kSucceeded && outcome != RunOutcome::kNoop);
    }
    return true;
  }

  // Whether a noop run has nothing to analyse for certain: the project's
  // last finished run succeeded and left nothing to do for each analyzer
  // as it is configured now (same key). Then the run carries that word
  // forward (so the next noop run can tell too) instead of asking the
  // storage, which reads every document of the project to answer. Anything
  // else -- an analysis stopped or killed, a failure to retry, a new
  // analyzer version, `--no-analyze` last time -- and the phase runs.
  bool AnalysisUpToDate() {
    std::vector<db::AnalyzerTally> unusable;
    const std::vector<analyze::NamedAnalyzer> analyzers =
        analyze::UsableAnalyzers(*plugins_, project_.storage, &unusable);
    if (analyzers.empty() || !unusable.empty()) return false;
    Result<std::vector<db::SyncRun>> recent = db::RunStore(db_).List(project_.id, 2);
    if (!recent.ok()) return false;
    const db::SyncRun* previous = nullptr;
    for (const db::SyncRun& r : *recent) {
      if (r.id != run_->id) {
        previous = &r;
        break;
      }
    }
    if (previous == nullptr) return false;
    std::optional<RunOutcome> outcome = ParseRunOutcome(previous->outcome);
    if (outcome != RunOutcome::kSucceeded && outcome != RunOutcome::kNoop) return false;
    std::vector<db::AnalyzerTally> carried;
    for (const analyze::NamedAnalyzer& a : analyzers) {
      const AnalyzerKey key = a.analyzer->Key();
      auto done = std::find_if(previous->analysis.begin(), previous->analysis.end(), [&](const db::AnalyzerTally& t) {
        return t.complete && t.analyzer == key.id && t.version == key.version && t.settings_hash == key.settings_hash;
      });
      if (done == previous->analysis.end()) return false;
      db::AnalyzerTally tally;
      tally.analyzer = key.id;
      tally.version = key.version;
      tally.settings_hash = key.settings_hash;
      tally.complete = true;
      carried.push_back(std::move(tally));
    }
    run_->analysis = std::move(carried);
    return true;
  }

  // Every configured analyzer over what the project's documents still need.
  // Never fails the run: what went wrong is in the run's tallies.
  Status Analyze() {
    // The storage's text index over what writes stored (SDK 3.8), first.
    analyze::IndexText(*plugins_, project_.storage, storage_, Ref(), project_.name,
                       [this] { return !cancel_->Check().ok(); });
    std::vector<analyze::NamedAnalyzer> analyzers =
        analyze::UsableAnalyzers(*plugins_, project_.storage, &run_->analysis);
    if (analyzers.empty()) return Status::Ok();  // none configured: the phase has nothing to do
    analyze::AnalyzeOptions options;
    options.owner = NewLeaseOwner();
    options.project_name = project_.name;
    options.owner_is_gone = LeaseOwnerIsGone;
    options.threads = options_.analyze_threads;
    options.page_size = options_.analyze_page_size;
    options.time_limit_ms = options_.analyze_time_limit_ms;
    options.max_bytes = options_.analyze_max_bytes;
    options.written = std::move(written_);
    for (const PlannedChange& planned : changes_.changes()) {
      std::optional<std::pair<BlobId, std::string>> blob = WrittenBlob(planned);
      if (blob) options.written.push_back(std::move(*blob));
    }
    // Stops between pages for a cancel, or for a newer commit waiting (a
    // resync request): the copy comes first; the next run analyses the rest.
    Stopwatch since_check;
    options.should_stop = [&, first = true]() mutable {
      if (!first && since_check.ElapsedMillis() < 500) return false;
      first = false;
      since_check = Stopwatch();
      if (!cancel_->Check(/*poll_now=*/true).ok()) return true;
      Result<db::Project> now = db::ProjectStore(db_).Get(project_.tenant_id, project_.name);
      return now.ok() && now->resync_requested;
    };
    Stopwatch since_progress;
    options.on_progress = [&](int64_t done, int64_t total) {
      if (since_progress.ElapsedMillis() < 100 && done != 0 && done != total) return;
      EmitEvent(PhaseProgress{Phase::kAnalyze, done, total});
      since_progress = Stopwatch();
    };
    std::vector<db::AnalyzerTally> tallies = analyze::AnalyzeProject(storage_, Ref(), analyzers, options);
    run_->analysis.insert(run_->analysis.end(), tallies.begin(), tallies.end());
    return Status::Ok();
  }

  ProjectRef Ref() const { return ProjectRef{project_.id, project_.tenant_id}; }

  // The storage's cursor into cursor_, read once per run.
  Status ReadCursor() {
    if (cursor_read_) return Status::Ok();
    Result<CommitId> cursor = storage_->ReadCursor(Ref());
    if (!cursor.ok()) return cursor.status();
    cursor_ = std::move(cursor).value();
    cursor_read_ = true;
    return Status::Ok();
  }

  // The run record carries the mode as its column does.
  void SetMode(SyncMode mode) {
    mode_ = mode;
    run_->mode = ToString(mode);
  }

  // Blob readers at most, as many as a first sync used before readers
  // followed the bytes read: the writing thread needs a core too.
  static constexpr size_t kMaxReaders = 2;

  db::Database* db_;
  const plugin_host::PluginHost* plugins_;
  EventLog* events_;
  const SyncOptions& options_;
  db::Project project_;
  const int64_t lease_epoch_;
  db::SyncRun* run_;
  Provider* provider_ = nullptr;
  Storage* storage_ = nullptr;
  std::unique_ptr<Repository> repo_;
  ChangeSet changes_;  // the change set, unless feed_
  // A first sync's change set, planned by planner_ on diff_thread_ (see
  // Diff), and what it writes, for the analyze phase.
  std::unique_ptr<ChangeFeed> feed_;
  std::unique_ptr<ChangePlanner> planner_;
  std::thread diff_thread_;
  std::vector<std::pair<BlobId, std::string>> written_;
  bool branch_missing_ = false;
  CommitId cursor_;           // the storage's cursor, once cursor_read_
  bool cursor_read_ = false;
  bool unchanged_ = false;    // the provider said the branch is at cursor_
  CommitId discovered_head_;  // what Discover's ResolveBranch gave, or ""
  SyncMode mode_ = SyncMode::kNone;
  Stopwatch diff_progress_;  // since the last diff progress event
  std::atomic<bool> diff_phase_over_{false};  // DiffProgress stops
  RunCancellation* cancel_;
  Phase phase_ = Phase::kDiscover;  // the phase running, or about to
  bool in_phase_ = false;
  bool committed_ = false;  // the storage committed the change
};

}  // namespace

Status ProjectDisabled(const std::string& project_name) {
  return Status::InvalidArgument("project \"" + project_name + "\" is disabled; enable it with `tether project enable " +
                                 project_name + "`");
}

SyncPipeline::SyncPipeline(db::Database* db, const plugin_host::PluginHost* plugins, EventLog* events,
                           SyncOptions options)
    : db_(db), plugins_(plugins), events_(events), options_(std::move(options)) {}

Result<ClaimedRun> SyncPipeline::Claim(const std::string& tenant_id, const std::string& project_name) {
  db::ProjectStore projects(db_);
  Result<db::Project> project = projects.Get(tenant_id, project_name);
  if (!project.ok()) return project.status();
  if (!project->sync_enabled) return ProjectDisabled(project_name);
  const Status running = Status::Conflict("project \"" + project_name + "\" is already being synced by another run");
  Result<std::string> holder = projects.LiveLeaseOwner(project->id);
  if (!holder.ok()) return holder.status();
  // A live lease of a process that crashed or was killed (on this host): its
  // run will never end (it is marked interrupted), so its lease need not
  // expire.
  const std::string gone = !holder->empty() && LeaseOwnerIsGone(*holder) ? *holder : std::string();
  if (!holder->empty() && gone.empty()) return running;
  ClaimedRun claim;
  claim.lease_owner = NewLeaseOwner();
  claim.trigger = options_.trigger;
  Result<db::LeaseGrant> grant =
      projects.AcquireLease(project->id, claim.lease_owner, options_.worker_id, options_.lease_seconds, gone);
  if (!grant.ok()) return grant.status();
  if (!grant->acquired) return running;
  return Begin(std::move(project).value(), std::move(claim), *grant);
}

Result<std::vector<ClaimedRun>> SyncPipeline::ClaimWork(const db::WorkFilter& filter, int limit) {
  db::ProjectStore projects(db_);
  db::RunStore runs(db_);
  std::vector<ClaimedRun> claimed;
  // Leased here, but fenced and closed by Begin after the transaction.
  std::vector<std::pair<db::NextWork, ClaimedRun>> taken_over;
  std::vector<db::LeaseGrant> grants;
  // The rows stay locked from the pick to the lease: no other worker takes
  // them meanwhile (PostgreSQL skips them; SQLite holds its write lock).
  Status picked = db_->InTransaction([&]() -> Status {
    claimed.clear();
    taken_over.clear();
    grants.clear();
    Result<std::vector<db::NextWork>> work = projects.LockWork(filter, limit);
    if (!work.ok()) return work.status();
    for (db::NextWork& next : *work) {
      ClaimedRun claim;
      claim.lease_owner = NewLeaseOwner();
      claim.trigger = next.requested ? (next.trigger.empty() ? std::string("api") : next.trigger) : "schedule";
      // The common case, a free lease and no run left behind, is claimed
      // whole here: requests taken and the project marked running with the
      // lease, the run recorded.
      const bool whole = next.lease_owner.empty() && !next.unfinished_runs;
      Result<db::LeaseGrant> grant =
          projects.LeaseWork(next, claim.lease_owner, options_.worker_id, options_.lease_seconds, whole);
      if (!grant.ok()) return grant.status();
      if (!grant->acquired) continue;
      if (!whole) {
        grants.push_back(*grant);
        taken_over.emplace_back(std::move(next), std::move(claim));
        continue;
      }
      Result<int64_t> run_id = runs.Begin(next.project.id, claim.trigger, next.project.branch, options_.worker_id);
      if (!run_id.ok()) return run_id.status();
      claim.run_id = *run_id;
      claim.lease_epoch = grant->epoch;
      claim.marked_running = true;
      claim.project = std::move(next.project);
      claimed.push_back(std::move(claim));
    }
    return Status::Ok();
  });
  if (!picked.ok()) return picked;
  for (size_t i = 0; i < taken_over.size(); ++i) {
    Result<ClaimedRun> begun =
        Begin(std::move(taken_over[i].first.project), std::move(taken_over[i].second), grants[i]);
    // The claims made stand (their leases and runs are recorded): they run;
    // this one's lease was given back by Begin, or expires.
    if (!begun.ok()) {
      logging::LogWarning("cannot start a claimed sync (another worker takes it): " + begun.status().ToString());
      continue;
    }
    claimed.push_back(std::move(begun).value());
  }
  return claimed;
}

Result<ClaimedRun> SyncPipeline::Begin(db::Project project, ClaimedRun claim, const db::LeaseGrant& grant) {
  db::ProjectStore projects(db_);
  db::RunStore runs(db_);
  claim.lease_epoch = grant.epoch;
  claim.took_over = !grant.taken_from.empty();
  auto give_back = [&](const Status& failed) {
    return AlsoFailed(failed, "releasing the lease (it is held until it expires)",
                      projects.ReleaseLease(project.id, claim.lease_owner));
  };
  // A lease that was never released: its run may still be writing (its
  // process stalled rather than died). From here on the storage refuses
  // that write, and this run's read of the cursor comes after it.
  if (!grant.taken_from.empty()) {
    Status fenced = FenceOlderWrites(*plugins_, project, grant.epoch);
    if (!fenced.ok()) return give_back(fenced.WithContext("fencing off the run whose lease was taken over"));
  }
  // Earlier runs of the project left "running" by a process that died (or
  // whose lease was taken over) are closed first, so that no two runs'
  // records overlap: recovered as succeeded when the storage has their
  // planned commit. Should that fail, this run goes on (it does not depend
  // on them) and the next claim closes them; the failure is reported.
  Result<db::RunStore::Ended> ended =
      runs.MarkInterrupted(project.id, 0, StoredCursorOrEmpty(*plugins_, project));
  if (!ended.ok()) {
    logging::LogWarning("project " + project.name + ": earlier unfinished runs stay recorded as running until " +
                            "the next run: " + ended.status().ToString(),
                        {{"project", project.name}});
  }
  // This run syncs to the branch head as it is now: a request made before
  // it is answered by it. Taken with the run's record, in one transaction.
  Result<int64_t> run_id = Status::Internal("no run recorded");
  Status begun = db_->InTransaction([&]() -> Status {
    TETHER_RETURN_IF_ERROR(projects.TakeResyncRequest(project.id));
    run_id = runs.Begin(project.id, claim.trigger, project.branch, options_.worker_id);
    return run_id.status();
  });
  if (!begun.ok()) return give_back(begun);
  claim.run_id = *run_id;
  claim.project = std::move(project);
  return claim;
}

Status SyncPipeline::Abandon(const ClaimedRun& claim, const std::string& reason) {
  db::ProjectStore projects(db_);
  db::RunStore runs(db_);
  db::SyncRun run;
  run.id = claim.run_id;
  run.project_id = claim.project.id;
  run.outcome = ToString(RunOutcome::kInterrupted);
  run.error = reason;
  // As in RunClaimed: the outcome and the free lease become visible
  // together; a project the claim marked running is as it was before.
  Status recorded = db_->InTransaction([&]() -> Status {
    TETHER_RETURN_IF_ERROR(runs.Finish(run));
    if (claim.marked_running) {
      TETHER_RETURN_IF_ERROR(projects.SetStatus(claim.project.id, claim.project.status, claim.project.last_error));
    }
    return projects.ReleaseLease(claim.project.id, claim.lease_owner);
  });
  if (recorded.ok()) return recorded;
  Status released = projects.ReleaseLease(claim.project.id, claim.lease_owner);
  return released.ok() ? recorded : released;
}

SyncResult SyncPipeline::RunClaimed(const ClaimedRun& claim, const CancelToken* cancel,
                                    const CancelToken* lease_lost) {
  Stopwatch total;
  SyncResult result;
  const db::Project& project = claim.project;
  result.project = project.name;
  db::ProjectStore projects(db_);
  db::RunStore runs(db_);

  db::SyncRun& run = result.run;
  run.id = claim.run_id;
  run.project_id = project.id;
  run.trigger = claim.trigger;
  run.branch = project.branch;

  RunCancellation cancellation(db_, claim.run_id, cancel, lease_lost);
  RunState state(db_, plugins_, events_, options_, project, claim.lease_epoch, &run, &cancellation);
  state.EmitEvent(RunStarted{project.name, project.branch, claim.trigger});
  // A run whose project cannot even be marked running does not start: the
  // database is failing, and the finalize below says so.
  result.status =
      claim.marked_running ? Status::Ok() : projects.SetStatus(project.id, ToString(ProjectStatus::kRunning), "");
  if (result.status.ok()) result.status = state.Execute();

  // finalize: what the project's row will say.
  Stopwatch finalize;
  bool mark_synced = false;
  std::string status, last_error;
  if (result.status.ok()) {
    result.outcome = state.mode() == SyncMode::kNoop ? RunOutcome::kNoop : RunOutcome::kSucceeded;
    mark_synced = true;
  } else if (cancellation.cancelled()) {
    result.outcome = RunOutcome::kCancelled;
    run.counts = db::RunCounts();  // nothing of the change was written
    run.error = std::string("cancelled ") + DescribeCancelReason(cancellation.reason()) + " " +
                state.CancelledWhere() + "; nothing was written";
    result.status = Status(CancelledStatus(cancellation.reason()).code(), run.error);
    // Nothing changed, so the project is as it was before the run: its
    // status and error back (a "running" left by a process that died reads
    // as recovery records it).
    status = project.status;
    last_error = project.last_error;
    if (ParseProjectStatus(status) == ProjectStatus::kRunning) {
      status = ToString(ProjectStatus::kFailed);
      last_error = "its last run was interrupted: the process running it stopped before it finished";
    }
  } else {
    result.outcome = RunOutcome::kFailed;
    run.counts = db::RunCounts();  // nothing of the change was written
    run.error = result.status.ToString();
    status = ToString(state.branch_missing() ? ProjectStatus::kBranchMissing : ProjectStatus::kFailed);
    last_error = run.error;
    if (result.status.code() == StatusCode::kRateLimited) {
      // What an operator (and a scheduler) needs: until when to wait, from
      // the status's retry time (never from its message, which is for
      // people).
      status = ToString(ProjectStatus::kRateLimited);
      last_error = "rate limited until " +
                   Iso8601FromUnixSeconds(NowUnixSeconds() +
                                          std::max<int64_t>(result.status.retry_after_seconds(), 1)) +
                   ": " + result.status.message();
    }
  }
  result.mode = state.mode();
  run.outcome = ToString(result.outcome);
  run.timings.finalize_ms = finalize.ElapsedMillisExact();
  // A cancelled run leaves a resync request for the next run (it would
  // otherwise start again at once, which is not what its canceller asked).
  const bool cancelled = result.outcome == RunOutcome::kCancelled;
  // The next scheduled sync counts from this run's end, whoever started it;
  // a rate-limited project waits for its retry time whatever its schedule.
  const int64_t ended_at = NowUnixSeconds();
  const bool moved = result.outcome == RunOutcome::kSucceeded;
  const std::optional<int64_t> head_changed = moved ? std::optional<int64_t>(ended_at) : project.head_changed_at;
  std::optional<int64_t> next_sync =
      schedule::NextDue(schedule::Effective(project.schedule, options_.default_schedule), options_.schedule_limits,
                        ended_at, head_changed, schedule::RandomJitter());
  if (result.status.code() == StatusCode::kRateLimited) {
    next_sync = std::max(next_sync.value_or(0), ended_at + std::max<int64_t>(result.status.retry_after_seconds(), 1));
  }
  // The outcome, the project's row and the free lease become visible
  // together (whoever sees the run finished can start the next one at
  // once), and only while this run still holds the lease: a run whose lease
  // was taken over records nothing (the run that took it recorded this one
  // interrupted).
  bool resync = false, lease_held = true;
  db::RunEnd end;
  end.status = mark_synced ? ToString(ProjectStatus::kSynced) : status;
  end.error = mark_synced ? std::string() : last_error;
  end.synced = mark_synced;
  end.next_sync_at = next_sync;
  if (moved) end.head_changed_at = head_changed;
  end.keep_resync = cancelled;
  auto record = [&]() -> Status {
    Result<std::optional<bool>> held = projects.LockOwnLease(project.id, claim.lease_owner);
    if (!held.ok()) return held.status();
    lease_held = held->has_value();
    if (!lease_held) return Status::Ok();
    TETHER_RETURN_IF_ERROR(runs.Finish(run));
    TETHER_RETURN_IF_ERROR(projects.EndRun(project.id, claim.lease_owner, end));
    resync = !cancelled && **held;
    return Status::Ok();
  };
  Status recorded = db_->InTransaction(record);
  if (!recorded.ok() && lease_held) {
    // The lease must not outlive the run even when its record failed.
    Status released = projects.ReleaseLease(project.id, claim.lease_owner);
    recorded = AlsoFailed(recorded, "releasing the lease (it is held until it expires)", released);
  }
  if (recorded.ok() && !lease_held) {
    recorded = Status::Conflict("the project was taken over by another run (this run's lease expired); that run "
                               "recorded this one interrupted, and any write of this one was refused");
  }
  runs.ForgetCancelRequest(run.id);
  result.resync_requested = resync;
  result.lease_lost = !lease_held;
  result.total_ms = total.ElapsedMillisExact();
  RunFinished finished;
  finished.project = project.name;
  finished.outcome = result.outcome;
  finished.mode = result.mode;
  finished.added = run.counts.added;
  finished.modified = run.counts.modified;
  finished.deleted = run.counts.deleted;
  finished.renamed = run.counts.renamed;
  finished.skipped = run.counts.skipped;
  finished.total_ms = result.total_ms;
  finished.error = run.error;
  if (lease_held) state.EmitEvent(std::move(finished));
  if (result.status.ok()) {
    if (!recorded.ok()) result.status = recorded.WithContext("the run succeeded, but recording it failed");
  } else {
    result.status = AlsoFailed(result.status, "recording the run", recorded);
  }
  return result;
}

}  // namespace tether::sync
