// GithubWebhookHandler: what POST /webhooks/github does. Verifies the
// X-Hub-Signature-256 of the raw body with the configured secret (HMAC-SHA256,
// compared in constant time), answers ping, and on a push to the selected
// branch of a followed project queues a sync.
//
// Which projects a push is for: those that follow the pushed branch and
// whose provider says their repository URL is the pushed repository
// (Provider::MatchesRepository, asked through a ProjectMatcher); the engine
// reads no repository URL itself. A project whose provider cannot be asked
// (not configured, broken, or built before SDK ABI 3.1) is neither queued
// nor marked: the answer lists it under "skipped" with the reason, so that
// an operator sees a push that may have been for it.
//
// A deleted branch marks the project (status branch_missing) and deletes
// nothing; a forced push is queued like any push (the pipeline sees the
// cursor is no longer an ancestor and compares the whole tree). A push to a
// project that is being synced asks that run for one more run after it.
// Duplicate deliveries (same X-GitHub-Delivery) act once: a delivery is
// recorded in the transaction that acts on it, so that one that fails (503:
// the sync queue is full, the database is busy or unreachable) is recorded
// nowhere and GitHub's redelivery of it acts.
//
// Bad input changes nothing: a missing or wrong signature is 401 before the
// body is parsed, a body over the limit is 413, malformed JSON is 400 (a
// body nested deeper than kMaxJsonDepth, tether/json_depth.h, is 400 before
// the delivery is recorded), and so is a push whose repository.full_name is
// not "owner/name" or whose repository URLs are not printable ASCII of at
// most 2048 characters (what RepositoryMention promises providers).
// Neither the secret nor the body appears in any response.
//
// Ownership: borrows the Database, the SyncQueue and the ProjectMatcher;
// all must outlive the handler. Thread safety: one handler per thread (it
// uses its Database).
#ifndef TETHER_ENGINE_WEBHOOKS_GITHUB_WEBHOOK_H_
#define TETHER_ENGINE_WEBHOOKS_GITHUB_WEBHOOK_H_

#include <cstddef>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/provider.h"
#include "tether/status.h"

namespace tether::plugin_host {
class PluginHost;
}  // namespace tether::plugin_host

namespace tether::db {
struct Project;
}  // namespace tether::db

namespace tether::webhooks {

// Whether a project is the repository a delivery names: its provider's
// answer. Called inside the delivery's transaction, for each project that
// follows the pushed branch; must not block.
class ProjectMatcher {
 public:
  virtual ~ProjectMatcher() = default;
  // An error means the project's provider cannot be asked; its message says
  // why (the project is skipped).
  virtual Result<bool> Matches(const db::Project& project, const RepositoryMention& mention) = 0;
};

// The matcher of the loaded plugins: PluginHost::MatchesRepository of the
// project's provider (which is not asked when built before ABI 3.1).
// Borrows `plugins`.
class ProviderMatcher : public ProjectMatcher {
 public:
  explicit ProviderMatcher(const plugin_host::PluginHost* plugins) : plugins_(plugins) {}
  Result<bool> Matches(const db::Project& project, const RepositoryMention& mention) override;

 private:
  const plugin_host::PluginHost* plugins_;
};

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
  std::string json;   // a JSON object for the sender; empty for a refusal
  std::string error;  // a refusal (status 400, 401, 413 or 503): what is wrong
  // For the server's log line of the delivery:
  // "refused" (see `error`), "duplicate", "pong", "ignored" (another event,
  // or a push to a tag), "acted" (a push to a branch).
  std::string outcome;
  std::string repository;  // the push's repository.full_name once checked; "" otherwise
  int triggered = 0;       // projects whose sync it queued (or asked a running one for)
  int skipped = 0;         // projects on the branch whose provider could not be asked
};

struct GithubWebhookOptions {
  std::string secret;                         // required; never logged
  size_t max_body_bytes = 25u * 1024 * 1024;  // GitHub caps payloads at 25 MB
};

class GithubWebhookHandler {
 public:
  GithubWebhookHandler(db::Database* db, SyncQueue* queue, ProjectMatcher* matcher, GithubWebhookOptions options);

  WebhookResponse Handle(const WebhookRequest& request);

 private:
  struct Push;
  struct Acted;
  // Acts on a push inside the delivery's transaction.
  Status ActOnPush(const Push& push, Acted* acted);

  db::Database* db_;
  SyncQueue* queue_;
  ProjectMatcher* matcher_;
  GithubWebhookOptions options_;
};

// "sha256=" + hex HMAC-SHA256 of `body` under `secret`: what GitHub sends.
std::string GithubSignature(const std::string& secret, const std::string& body);

}  // namespace tether::webhooks

#endif  // TETHER_ENGINE_WEBHOOKS_GITHUB_WEBHOOK_H_
