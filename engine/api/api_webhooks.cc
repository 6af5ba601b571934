// Api: POST /webhooks/github, handing the delivery to the webhook handler
// (engine/webhooks) with the service's sync workers as its queue (runs
// recorded with the trigger "webhook") and the loaded providers as the
// judges of which projects a pushed repository is.
#include <utility>
#include <vector>

#include "engine/db/project_store.h"
#include "engine/api/api.h"
#include "engine/log/log.h"
#include "engine/webhooks/github_webhook.h"

namespace tether::api {
namespace {

// Claims runs on the service's sync workers inside the delivery's
// transaction and starts them once it committed. A project that is being
// synced is asked for one more run after the current one, so that the push
// is not lost.
class RunnerQueue : public webhooks::SyncQueue {
 public:
  RunnerQueue(SyncWorkers* workers, db::Database* db) : workers_(workers), db_(db) {}

  Status Enqueue(const db::Project& project, const std::string&) override {
    // A run may end between a Conflict and the request; then claim again.
    for (int attempt = 0; attempt < 3; ++attempt) {
      Result<SyncWorkers::Claimed> claimed =
          workers_->Claim(db_, project.tenant_id, project.name, SyncWorkers::kWebhookTrigger);
      if (claimed.ok()) {
        claimed_.push_back(std::move(claimed).value());
        return Status::Ok();
      }
      // No place free in this server: any worker takes it from the
      // database, once the delivery's transaction commits.
      if (claimed.status().code() == StatusCode::kUnavailable) {
        return workers_->Request(db_, project.tenant_id, project.name, SyncWorkers::kWebhookTrigger);
      }
      if (claimed.status().code() != StatusCode::kConflict) return claimed.status();
      Result<bool> requested = db::ProjectStore(db_).RequestResync(project.id);
      if (!requested.ok()) return requested.status();
      if (*requested) return Status::Ok();
    }
    return Status::Unavailable("project \"" + project.name + "\" changed hands too often to be queued");
  }

  void StartClaimed() override {
    for (SyncWorkers::Claimed& claimed : claimed_) workers_->Submit(std::move(claimed));
    claimed_.clear();
  }

 private:
  SyncWorkers* workers_;
  db::Database* db_;
  std::vector<SyncWorkers::Claimed> claimed_;  // claimed in the open transaction
};

std::string HeaderOrEmpty(const HttpRequest& request, std::string_view name) {
  const std::string* value = request.Header(name);
  return value == nullptr ? std::string() : *value;
}

// At most `max` bytes of a header the sender chose, for the log.
std::string Cut(const std::string& text, size_t max = 100) {
  return text.size() <= max ? text : text.substr(0, max) + "...";
}

// One line per delivery: which, what it asked, what it did. Never the
// signature or the body.
void LogDelivery(const webhooks::WebhookRequest& delivery, const webhooks::WebhookResponse& response) {
  std::string message = "webhook delivery " + (delivery.delivery_id.empty() ? "-" : Cut(delivery.delivery_id)) + " (" +
                        (delivery.event.empty() ? "-" : Cut(delivery.event, 40)) + "): " + response.outcome;
  if (!response.repository.empty()) message += ", " + response.repository;
  if (response.outcome == "acted") message += ", " + std::to_string(response.triggered) + " project(s) triggered";
  if (!response.error.empty()) message += ": " + response.error;
  logging::Log(response.status >= 500 ? logging::LogLevel::kError
               : response.error.empty() ? logging::LogLevel::kInfo
                                        : logging::LogLevel::kWarning,
               message,
               {{"delivery", Cut(delivery.delivery_id)}, {"event", Cut(delivery.event, 40)},
                {"repository", response.repository}, {"outcome", response.outcome}, {"status", response.status},
                {"triggered", response.triggered}, {"skipped", response.skipped}});
}

}  // namespace

HttpResponse Api::GithubWebhook(Call& call) {
  webhooks::WebhookRequest delivery;
  delivery.event = HeaderOrEmpty(call.request, "x-github-event");
  delivery.delivery_id = HeaderOrEmpty(call.request, "x-github-delivery");
  delivery.signature = HeaderOrEmpty(call.request, "x-hub-signature-256");
  delivery.body = call.request.body;
  RunnerQueue queue(syncs_, call.db);
  webhooks::GithubWebhookOptions options;
  options.secret = config_->server.github_webhook_secret;
  webhooks::ProviderMatcher matcher(plugins_);
  webhooks::GithubWebhookHandler handler(call.db, &queue, &matcher, options);
  webhooks::WebhookResponse response = handler.Handle(delivery);
  LogDelivery(delivery, response);
  if (response.error.empty()) return Json(response.status, response.json);
  switch (response.status) {
    case 400: return Fail(ProblemType::kInvalidBody, response.error);
    case 401: return Fail(ProblemType::kUnauthenticated, response.error);
    case 413: return Fail(ProblemType::kPayloadTooLarge, response.error);
    case 503: return Fail(ProblemType::kUnavailable, response.error);
    default: return Fail(ProblemType::kInternal, response.error);
  }
}

}  // namespace tether::api
