// GithubWebhookHandler: what POST /webhooks/github does. Verifies the
// X-Hub-Signature-256 of the raw body with the configured secret (HMAC-SHA256,
// compared in constant time), answers ping, and on a push to the selected
// branch of a followed project queues a sync. A deleted branch marks the
// project (status branch_missing) and deletes nothing; a forced push is
// queued like any push (the pipeline sees the cursor is no longer an
// ancestor and compares the whole tree). A push to a project that is being
// synced asks that run for one more run after it. Duplicate deliveries (same
// X-GitHub-Delivery) act once: a delivery is recorded in the transaction
// that acts on it, so that one that fails (503: the sync queue is full, the
// database is busy or unreachable) is recorded nowhere and GitHub's
// redelivery of it acts.
//
// Bad input changes nothing: a missing or wrong signature is 401 before the
// body is parsed, a body over the limit is 413, malformed JSON is 400 (a
// body nested deeper than kMaxJsonDepth, tether/json_depth.h, is 400 before
// the delivery is recorded).
// Neither the secret nor the body appears in any response.
//
// Ownership: borrows the Database and the SyncQueue; both must outlive the
// handler. Thread safety: one handler per thread (it uses its Database).
#ifndef TETHER_ENGINE_WEBHOOKS_GITHUB_WEBHOOK_H_
#define TETHER_ENGINE_WEBHOOKS_GITHUB_WEBHOOK_H_

#include <cstddef>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::db {
struct Project;
}  // namespace tether::db

namespace tether::webhooks {

// Where a webhook sends the syncs it asks for (the service's sync workers).
// Neither method may block for the length of a sync.
class SyncQueue {
 public:
  virtual ~SyncQueue() = default;
  // Called inside the delivery's transaction, on the handler's database:
  // arranges a sync of `project` (a claimed run; or, when a run holds the
  // project, a request for one more run after it). Nothing starts before
  // StartClaimed: a transaction that rolls back undoes what this wrote, and
  // the queue then forgets its claims when destroyed.
  virtual Status Enqueue(const db::Project& project, const std::string& reason) = 0;
  // Called once the transaction committed: starts what Enqueue claimed.
  virtual void StartClaimed() = 0;
};

struct WebhookRequest {
  std::string event;        // X-GitHub-Event
  std::string delivery_id;  // X-GitHub-Delivery
  std::string signature;    // X-Hub-Signature-256, "sha256=<hex>"
  std::string body;         // the raw body, exactly as received
};

struct WebhookResponse {
  int status = 200;
  std::string json;  // a JSON object for the sender
};

struct GithubWebhookOptions {
  std::string secret;                         // required; never logged
  size_t max_body_bytes = 25u * 1024 * 1024;  // GitHub caps payloads at 25 MB
};

class GithubWebhookHandler {
 public:
  GithubWebhookHandler(db::Database* db, SyncQueue* queue, GithubWebhookOptions options);

  WebhookResponse Handle(const WebhookRequest& request);

 private:
  struct Push;
  // Acts on a push inside the delivery's transaction.
  Status ActOnPush(const Push& push, std::vector<std::string>* queued, std::vector<std::string>* marked);

  db::Database* db_;
  SyncQueue* queue_;
  GithubWebhookOptions options_;
};

// "sha256=" + hex HMAC-SHA256 of `body` under `secret`: what GitHub sends.
std::string GithubSignature(const std::string& secret, const std::string& body);

// "owner/name" (lower case) from a repository URL or name as projects store
// it ("owner/name", "https://github.com/owner/name.git", ...); "" if none.
std::string RepositoryFullName(const std::string& repo_url);

}  // namespace tether::webhooks

#endif  // TETHER_ENGINE_WEBHOOKS_GITHUB_WEBHOOK_H_
