#include "engine/sync/cancellation.h"

#include "engine/db/run_store.h"
#include "engine/sync/lease_owner.h"
#include "engine/sync/run_states.h"

namespace tether::sync {

const char* DescribeCancelReason(CancelReason reason) {
  switch (reason) {
    case CancelReason::kInterrupt: return "by SIGINT (Ctrl-C)";
    case CancelReason::kTerminate: return "by SIGTERM";
    case CancelReason::kRequest: return "on request (tether sync --cancel, or the API)";
    case CancelReason::kLeaseLost:
      return "because its lease expired (this process did not renew it in time) and another run took the project over";
    case CancelReason::kNone: break;
  }
  return "for no reason";
}

Status CancelledStatus(CancelReason reason) {
  return Status::Unavailable(std::string("cancelled ") + DescribeCancelReason(reason));
}

RunCancellation::RunCancellation(db::Database* db, int64_t run_id, const CancelToken* token,
                                 const CancelToken* lease)
    : db_(db), run_id_(run_id), token_(token), lease_(lease), last_poll_(std::chrono::steady_clock::now()) {}

Status RunCancellation::Check(bool poll_now) {
  if (reason_ != CancelReason::kNone) return CancelledStatus(reason_);
  if (token_ != nullptr && token_->cancelled()) {
    reason_ = token_->reason();
    return CancelledStatus(reason_);
  }
  if (lease_ != nullptr && lease_->cancelled()) {
    reason_ = lease_->reason();
    return CancelledStatus(reason_);
  }
  const auto now = std::chrono::steady_clock::now();
  if (!poll_now && now - last_poll_ < kPollInterval) return Status::Ok();
  last_poll_ = now;
  Result<bool> requested = db::RunStore(db_).CancelRequested(run_id_);
  if (requested.ok() && *requested) {
    reason_ = CancelReason::kRequest;
    return CancelledStatus(reason_);
  }
  return Status::Ok();
}

Result<CancelAnswer> RequestCancel(db::Database* db, const db::Project& project, int64_t run_id) {
  db::RunStore runs(db);
  const Status missing =
      Status::NotFound("project \"" + project.name + "\" has no run " + std::to_string(run_id));
  Result<db::SyncRun> run = runs.Get(run_id);
  if (!run.ok()) return run.status().code() == StatusCode::kNotFound ? missing : run.status();
  if (run->project_id != project.id) return missing;
  CancelAnswer answer;
  auto ended = [&](const std::string& outcome) {
    answer.outcome = outcome;
    answer.detail = "run " + std::to_string(run_id) + " of project \"" + project.name + "\" has already ended (" +
                    outcome + "); there is nothing to cancel";
    return answer;
  };
  if (ParseRunOutcome(run->outcome) != RunOutcome::kRunning) return ended(run->outcome);
  // A run whose process is gone never sees a request; the next run of the
  // project records it interrupted.
  Result<std::string> holder = db::ProjectStore(db).LiveLeaseOwner(project.id);
  if (!holder.ok()) return holder.status();
  if (!holder->empty() && LeaseOwnerIsGone(*holder)) {
    answer.outcome = run->outcome;
    answer.detail = "run " + std::to_string(run_id) + " of project \"" + project.name +
                    "\" was left running by a process that has stopped; the project's next sync records it "
                    "interrupted";
    return answer;
  }
  Result<bool> requested = runs.RequestCancel(run_id);
  if (!requested.ok()) return requested.status();
  if (!*requested) {
    // It ended between the read and the request.
    Result<db::SyncRun> now = runs.Get(run_id);
    if (!now.ok()) return now.status();
    return ended(now->outcome);
  }
  answer.requested = true;
  return answer;
}

}  // namespace tether::sync
