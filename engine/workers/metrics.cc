#include "engine/workers/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace tether::workers {
namespace {

// Shortest form that reads back the same for the bucket bounds ("0.05",
// not "0.050000000000000003"); enough digits for sums.
std::string Number(double value) {
  char text[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

// A label value escaped as the text format asks (\\, \", \n).
std::string Label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Metrics::RecordSync(const sync::SyncResult& result) {
  const db::SyncRun& run = result.run;
  // Provider calls as the engine sees them: opening the repository and
  // listing branches (discover), resolving the branch, the ancestry check
  // of an incremental, force-push or branch-switch run, the diff, and one blob read per
  // document written. Calls a provider makes on its own (pagination,
  // retries) are its business.
  uint64_t requests = 0;
  if (run.timings.discover_ms >= 0) requests += 2;
  if (run.timings.resolve_ms >= 0) requests += 1;
  if (run.timings.diff_ms >= 0) {
    const bool ancestry = result.mode == sync::SyncMode::kIncremental || result.mode == sync::SyncMode::kForcePush ||
                          result.mode == sync::SyncMode::kBranchSwitch;
    requests += ancestry ? 2 : 1;
  }
  requests += static_cast<uint64_t>(run.counts.added + run.counts.modified + run.counts.renamed);
  const double seconds = result.total_ms / 1000.0;
  std::lock_guard<std::mutex> lock(mutex_);
  ++syncs_[result.outcome];
  for (size_t i = 0; i < kDurationBuckets.size(); ++i) {
    if (seconds <= kDurationBuckets[i]) ++duration_buckets_[i];
  }
  ++duration_count_;
  duration_sum_ += seconds;
  files_["added"] += static_cast<uint64_t>(run.counts.added);
  files_["modified"] += static_cast<uint64_t>(run.counts.modified);
  files_["deleted"] += static_cast<uint64_t>(run.counts.deleted);
  files_["renamed"] += static_cast<uint64_t>(run.counts.renamed);
  provider_requests_ += requests;
  if (result.status.code() == StatusCode::kRateLimited) ++rate_limit_waits_;
}

void Metrics::RecordHttp(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++http_[{route, status}];
}

void Metrics::RecordScheduledStart() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++scheduled_starts_;
}

std::string Metrics::Render(int sse_clients) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  Header(&out, "tether_syncs_total", "counter", "Syncs this server ran, by outcome.");
  constexpr sync::RunOutcome kAlwaysShown[] = {sync::RunOutcome::kSucceeded, sync::RunOutcome::kNoop,
                                                sync::RunOutcome::kFailed, sync::RunOutcome::kCancelled};
  for (sync::RunOutcome outcome : kAlwaysShown) {
    auto it = syncs_.find(outcome);
    out += std::string("tether_syncs_total{outcome=\"") + sync::ToString(outcome) + "\"} " +
           std::to_string(it == syncs_.end() ? 0 : it->second) + "\n";
  }
  for (const auto& [outcome, count] : syncs_) {
    if (std::find(std::begin(kAlwaysShown), std::end(kAlwaysShown), outcome) != std::end(kAlwaysShown)) continue;
    out += std::string("tether_syncs_total{outcome=\"") + sync::ToString(outcome) + "\"} " + std::to_string(count) +
           "\n";
  }
  Header(&out, "tether_sync_duration_seconds", "histogram", "Engine time of a sync, claim to finalize.");
  for (size_t i = 0; i < kDurationBuckets.size(); ++i) {
    out += "tether_sync_duration_seconds_bucket{le=\"" + Number(kDurationBuckets[i]) + "\"} " +
           std::to_string(duration_buckets_[i]) + "\n";
  }
  out += "tether_sync_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(duration_count_) + "\n";
  out += "tether_sync_duration_seconds_sum " + Number(duration_sum_) + "\n";
  out += "tether_sync_duration_seconds_count " + std::to_string(duration_count_) + "\n";
  Header(&out, "tether_files_written_total", "counter", "Documents written by syncs, by kind of change.");
  for (const char* kind : {"added", "modified", "deleted", "renamed"}) {
    auto it = files_.find(kind);
    out += std::string("tether_files_written_total{kind=\"") + kind + "\"} " +
           std::to_string(it == files_.end() ? 0 : it->second) + "\n";
  }
  Header(&out, "tether_provider_requests_total", "counter",
         "Provider calls made by syncs, as the engine counts them (repository, branches, resolve, ancestry, diff, blob "
         "reads).");
  out += "tether_provider_requests_total " + std::to_string(provider_requests_) + "\n";
  Header(&out, "tether_rate_limit_waits_total", "counter", "Syncs that ended rate limited by their provider.");
  out += "tether_rate_limit_waits_total " + std::to_string(rate_limit_waits_) + "\n";
  Header(&out, "tether_scheduled_syncs_total", "counter", "Syncs the scheduler started.");
  out += "tether_scheduled_syncs_total " + std::to_string(scheduled_starts_) + "\n";
  Header(&out, "tether_sse_clients", "gauge", "Connected event streams (GET /api/v1/events).");
  out += "tether_sse_clients " + std::to_string(sse_clients) + "\n";
  Header(&out, "tether_http_requests_total", "counter", "HTTP responses by route template and status.");
  for (const auto& [key, count] : http_) {
    out += "tether_http_requests_total{route=\"" + Label(key.first) + "\",status=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(count) + "\n";
  }
  return out;
}

std::string Metrics::RenderQueue(int64_t due, int64_t lag_seconds, int64_t waiting) {
  std::string out;
  Header(&out, "tether_schedule_due", "gauge", "Projects whose scheduled sync is due and not started, when scraped.");
  out += "tether_schedule_due " + std::to_string(due) + "\n";
  Header(&out, "tether_schedule_lag_seconds", "gauge",
         "How long the project due longest has waited past its time (scheduling lag), when scraped.");
  out += "tether_schedule_lag_seconds " + std::to_string(lag_seconds) + "\n";
  Header(&out, "tether_sync_queue_depth", "gauge",
         "Projects waiting for a worker (a sync asked for, or a schedule due), when scraped.");
  out += "tether_sync_queue_depth " + std::to_string(waiting) + "\n";
  return out;
}

std::string Metrics::RenderWorkers(const std::vector<db::WorkerInfo>& workers) {
  std::string out;
  struct Counter {
    const char* name;
    const char* help;
    int64_t db::WorkerInfo::*value;
  };
  const Counter counters[] = {
      {"tether_worker_syncs_total", "Runs each live worker finished, as of its last heartbeat.", &db::WorkerInfo::runs},
      {"tether_lease_takeovers_total",
       "Leases each live worker took over from a holder that let them expire (or whose process died).",
       &db::WorkerInfo::takeovers},
      {"tether_fenced_runs_total",
       "Runs of each live worker that lost their lease: any commit of theirs was refused by the storage's fence.",
       &db::WorkerInfo::fenced},
  };
  for (const Counter& counter : counters) {
    Header(&out, counter.name, "counter", counter.help);
    for (const db::WorkerInfo& w : workers) {
      out += std::string(counter.name) + "{worker=\"" + Label(w.id) + "\",kind=\"" + Label(w.kind) +
             "\"} " + std::to_string(w.*(counter.value)) + "\n";
    }
  }
  Header(&out, "tether_workers", "gauge", "Live workers: processes that run syncs on this database.");
  out += "tether_workers " + std::to_string(workers.size()) + "\n";
  return out;
}

}  // namespace tether::workers
