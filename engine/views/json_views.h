// How projects and runs look in JSON, the same for the CLI's --json output
// and the HTTP API's bodies: member names and null rules live here once.
//
// `W` is a BasicJsonWriter (engine/common/json_writer.h); the functions
// write members into the object the writer is in.
//
// Thread safety: pure functions of their arguments.
#ifndef TETHER_ENGINE_VIEWS_JSON_VIEWS_H_
#define TETHER_ENGINE_VIEWS_JSON_VIEWS_H_

#include "engine/db/project_store.h"
#include "shared/clock.h"
#include "engine/db/run_store.h"
#include "engine/db/worker_store.h"
#include "tether/storage.h"

namespace tether::views {

// `cursor` is the last synced commit as the project's storage holds it
// (sync::StoredCursor), empty for none.
template <typename W>
void WriteProjectMembers(W& out, const db::Project& p, const std::string& cursor) {
  out.Int("id", p.id).Str("name", p.name).Str("tenant", p.tenant_id).Str("provider", p.provider)
      .Str("storage", p.storage).Str("repo", p.repo_url).Str("branch", p.branch)
      .Bool("sync_enabled", p.sync_enabled).Str("status", p.status)
      .StrOrNull("last_synced_commit", cursor).StrOrNull("last_synced_at", p.last_synced_at)
      .StrOrNull("last_error", p.last_error).Str("created_at", p.created_at)
      .StrOrNull("schedule", p.schedule)
      .StrOrNull("next_sync_at", p.next_sync_at ? Iso8601FromUnixSeconds(*p.next_sync_at) : std::string())
      .Bool("sync_requested", p.sync_requested).StrOrNull("worker", p.lease_worker);
}

// What a run did: mode, commits, file counts, phase timings (null for a
// phase that did not run) and their sum. The outcome and error are the caller's.
// "analysis": what the analyze phase did per analyzer (db::AnalyzerTally),
// {"code": {"analyzed": N, "reused": N, "failed": N, "skipped": N}}, with
// "error" when one stopped early, and for one with a repository step
// "repository": {"changed": N, "written": N, "removed": N}; {} when none ran.
template <typename W>
void WriteAnalysisMember(W& out, const std::vector<db::AnalyzerTally>& tallies) {
  out.BeginObject("analysis");
  for (const db::AnalyzerTally& t : tallies) {
    out.BeginObject(t.analyzer.c_str()).Int("analyzed", t.analyzed).Int("reused", t.reused)
        .Int("failed", t.failed).Int("skipped", t.skipped).Str("version", t.version)
        .Bool("complete", t.complete);
    if (t.has_step) {
      out.BeginObject("repository").Int("changed", t.step_changed).Int("written", t.step_written)
          .Int("removed", t.step_removed).End();
    }
    if (!t.error.empty()) out.Str("error", t.error);
    out.End();
  }
  out.End();
}

// One symbol search hit as an object: where, what, and how it matched
// ("name", "prefix", "token").
template <typename W>
void WriteSymbolHit(W& out, const SymbolHit& hit) {
  static const char* const kMatch[] = {"name", "prefix", "token"};
  out.writer().StartObject();
  out.Str("path", hit.path).StrOrNull("language", hit.language).Str("name", hit.symbol.name)
      .Str("kind", hit.symbol.kind).Int("start_line", hit.symbol.start_line).Int("end_line", hit.symbol.end_line)
      .StrOrNull("signature", hit.symbol.signature).StrOrNull("parent", hit.symbol.parent)
      .StrOrNull("doc", hit.symbol.doc).Str("match", kMatch[hit.match < 0 || hit.match > 2 ? 2 : hit.match]);
  out.writer().EndObject();
}

template <typename W>
void WriteRunResultMembers(W& out, const db::SyncRun& run) {
  out.StrOrNull("mode", run.mode).StrOrNull("branch", run.branch).StrOrNull("worker", run.worker)
      .StrOrNull("from_commit", run.from_commit).StrOrNull("to_commit", run.to_commit)
      .Int("files_added", run.counts.added).Int("files_modified", run.counts.modified)
      .Int("files_deleted", run.counts.deleted).Int("files_renamed", run.counts.renamed)
      .Int("files_skipped", run.counts.skipped).Int("bytes_read", run.counts.bytes_read);
  out.BeginObject("timings_ms").NumOrNull("discover", run.timings.discover_ms)
      .NumOrNull("resolve", run.timings.resolve_ms).NumOrNull("diff", run.timings.diff_ms)
      .NumOrNull("write", run.timings.write_ms).NumOrNull("analyze", run.timings.analyze_ms)
      .NumOrNull("finalize", run.timings.finalize_ms).End();
  out.NumOrNull("duration_ms", run.DurationMs());
  WriteAnalysisMember(out, run.analysis);
}

// One live worker (db::WorkerInfo) as an array element: the same for
// `tether workers --json` and GET /api/v1/workers.
template <typename W>
void WriteWorker(W& out, const db::WorkerInfo& w) {
  out.writer().StartObject();
  out.Str("id", w.id).Str("host", w.host).Int("pid", w.pid).Str("version", w.version).Str("kind", w.kind)
      .Int("concurrency", w.concurrency).Str("started_at", Iso8601FromUnixSeconds(w.started_at))
      .Str("heartbeat_at", Iso8601FromUnixSeconds(w.heartbeat_at)).List("projects", w.projects)
      .Int("runs", w.runs).Int("takeovers", w.takeovers).Int("fenced", w.fenced);
  out.writer().EndObject();
}

}  // namespace tether::views

#endif  // TETHER_ENGINE_VIEWS_JSON_VIEWS_H_
