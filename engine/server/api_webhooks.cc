// Api: POST /webhooks/github, handing the delivery to the webhook handler
// (engine/webhooks) with the service's sync runner as its queue.
#include "engine/server/api.h"
#include "engine/webhooks/github_webhook.h"

namespace tether::server {
namespace {

// Starts the sync on the service's sync workers. A project that is already
// syncing counts as queued: the running sync or the next push picks the
// commit up.
class RunnerQueue : public webhooks::SyncQueue {
 public:
  RunnerQueue(SyncRunner* runner, db::Database* db) : runner_(runner), db_(db) {}
  Status Enqueue(const db::Project& project, const std::string&) override {
    Result<int64_t> started = runner_->Start(db_, project.tenant_id, project.name);
    if (started.ok() || started.status().code() == StatusCode::kConflict) return Status::Ok();
    return started.status();
  }

 private:
  SyncRunner* runner_;
  db::Database* db_;
};

std::string HeaderOrEmpty(const HttpRequest& request, std::string_view name) {
  const std::string* value = request.Header(name);
  return value == nullptr ? std::string() : *value;
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
  webhooks::GithubWebhookHandler handler(call.db, &queue, options);
  webhooks::WebhookResponse response = handler.Handle(delivery);
  return Json(response.status, response.json);
}

}  // namespace tether::server
