// Metrics: what `tether serve` counts, rendered in the Prometheus text
// exposition format (version 0.0.4) at GET /metrics.
//
//   tether_syncs_total{outcome}            runs this server executed, by outcome
//   tether_sync_duration_seconds           histogram of their engine time
//   tether_files_written_total{kind}       added, modified, deleted, renamed
//   tether_provider_requests_total         provider calls the runs made, as the
//                                          engine sees them (see RecordSync)
//   tether_rate_limit_waits_total          runs that ended rate limited
//   tether_sse_clients                     connected event streams (gauge)
//   tether_http_requests_total{route,status}  by route template, not raw path
//
// Syncs run by other processes (the CLI) are not counted here.
//
// Thread safety: every method may be called from any thread.
#ifndef TETHER_ENGINE_WORKERS_METRICS_H_
#define TETHER_ENGINE_WORKERS_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>
#include <utility>

#include "engine/db/worker_store.h"
#include "engine/sync/pipeline.h"

namespace tether::workers {

class Metrics {
 public:
  // A run of the sync runner, finished (or failed).
  void RecordSync(const sync::SyncResult& result);
  // An HTTP response: `route` is the route's template ("/api/v1/projects/{name}"),
  // or "unmatched".
  void RecordHttp(const std::string& route, int status);
  // A sync the scheduler started.
  void RecordScheduledStart();

  // The exposition text; `sse_clients` is the gauge's current value.
  std::string Render(int sse_clients) const;
  // The live workers' counters (db::WorkerStore, every process that runs
  // syncs on this database, as of its last heartbeat), labelled by worker.
  static std::string RenderWorkers(const std::vector<db::WorkerInfo>& workers);
  // The queue as the database holds it now, for every worker on it:
  // projects due, how long the one due longest has waited (0 when none),
  // and every project waiting for a worker (requested or due).
  static std::string RenderQueue(int64_t due, int64_t lag_seconds, int64_t waiting);

  // Upper bounds of the duration histogram's buckets, in seconds.
  static constexpr std::array<double, 10> kDurationBuckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

 private:
  mutable std::mutex mutex_;
  std::map<sync::RunOutcome, uint64_t> syncs_;
  std::array<uint64_t, kDurationBuckets.size()> duration_buckets_{};
  uint64_t duration_count_ = 0;
  double duration_sum_ = 0;
  std::map<std::string, uint64_t> files_;  // by kind
  uint64_t provider_requests_ = 0;
  uint64_t rate_limit_waits_ = 0;
  std::map<std::pair<std::string, int>, uint64_t> http_;
  uint64_t scheduled_starts_ = 0;
};

}  // namespace tether::workers

#endif  // TETHER_ENGINE_WORKERS_METRICS_H_
