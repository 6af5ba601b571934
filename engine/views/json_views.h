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
#include "engine/db/run_store.h"

namespace tether::views {

// `cursor` is the last synced commit as the project's storage holds it
// (sync::StoredCursor), empty for none.
template <typename W>
void WriteProjectMembers(W& out, const db::Project& p, const std::string& cursor) {
  out.Int("id", p.id).Str("name", p.name).Str("tenant", p.tenant_id).Str("provider", p.provider)
      .Str("storage", p.storage).Str("repo", p.repo_url).Str("branch", p.branch)
      .Bool("sync_enabled", p.sync_enabled).Str("status", p.status)
      .StrOrNull("last_synced_commit", cursor).StrOrNull("last_synced_at", p.last_synced_at)
      .StrOrNull("last_error", p.last_error).Str("created_at", p.created_at);
}

// What a run did: mode, commits, file counts, phase timings (null for a
// phase that did not run) and their sum. The outcome and error are the caller's.
template <typename W>
void WriteRunResultMembers(W& out, const db::SyncRun& run) {
  out.StrOrNull("mode", run.mode).StrOrNull("branch", run.branch)
      .StrOrNull("from_commit", run.from_commit).StrOrNull("to_commit", run.to_commit)
      .Int("files_added", run.counts.added).Int("files_modified", run.counts.modified)
      .Int("files_deleted", run.counts.deleted).Int("files_renamed", run.counts.renamed)
      .Int("files_skipped", run.counts.skipped).Int("bytes_read", run.counts.bytes_read);
  out.BeginObject("timings_ms").NumOrNull("discover", run.timings.discover_ms)
      .NumOrNull("resolve", run.timings.resolve_ms).NumOrNull("diff", run.timings.diff_ms)
      .NumOrNull("write", run.timings.write_ms).NumOrNull("analyze", run.timings.analyze_ms)
      .NumOrNull("finalize", run.timings.finalize_ms).End();
  out.NumOrNull("duration_ms", run.DurationMs());
}

}  // namespace tether::views

#endif  // TETHER_ENGINE_VIEWS_JSON_VIEWS_H_
