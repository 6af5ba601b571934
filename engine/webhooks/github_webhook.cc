#include "engine/webhooks/github_webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <soci/soci.h>

#include "engine/common/json_writer.h"
#include "shared/clock.h"
#include "engine/db/project_store.h"
#include "engine/sync/run_states.h"
#include "tether/json_depth.h"

namespace tether::webhooks {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// {"key": "value", ...} or {"key": [..]} for responses.
class Reply {
 public:
  Reply() { json_.Begin(); }
  Reply& Str(const char* key, const std::string& value) {
    json_.Str(key, value);
    return *this;
  }
  Reply& List(const char* key, const std::vector<std::string>& values) {
    json_.List(key, values);
    return *this;
  }
  WebhookResponse Done(int status) { return {status, json_.End().Text()}; }

 private:
  CompactJsonWriter json_;
};

WebhookResponse Error(int status, const std::string& message) { return Reply().Str("error", message).Done(status); }

bool SignatureMatches(const std::string& secret, const std::string& body, const std::string& given) {
  std::string expected = GithubSignature(secret, body);
  if (given.size() != expected.size()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string StringMember(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject() || !object.HasMember(key) || !object[key].IsString()) return "";
  return object[key].GetString();
}

bool BoolMember(const rapidjson::Value& object, const char* key) {
  return object.IsObject() && object.HasMember(key) && object[key].IsBool() && object[key].GetBool();
}

}  // namespace

std::string GithubSignature(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string RepositoryFullName(const std::string& repo_url) {
  std::string s = repo_url;
  size_t scheme = s.find("://");
  if (scheme != std::string::npos) {
    size_t path = s.find('/', scheme + 3);
    if (path == std::string::npos) return "";
    s = s.substr(path + 1);
  }
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".git") == 0) s.resize(s.size() - 4);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (std::count(s.begin(), s.end(), '/') != 1 || s.front() == '/') return "";
  return Lower(s);
}

GithubWebhookHandler::GithubWebhookHandler(db::Database* db, SyncQueue* queue, GithubWebhookOptions options)
    : db_(db), queue_(queue), options_(std::move(options)) {}

// What a push delivery asks for, read from its payload.
struct GithubWebhookHandler::Push {
  std::string branch;     // empty: not a branch (a tag), nothing to do
  std::string ref;
  std::string full_name;  // lower case
  bool deleted = false;
  bool forced = false;
};

WebhookResponse GithubWebhookHandler::Handle(const WebhookRequest& request) {
  if (request.body.size() > options_.max_body_bytes) {
    return Error(413, "body of " + std::to_string(request.body.size()) + " bytes is over the limit of " +
                          std::to_string(options_.max_body_bytes));
  }
  if (options_.secret.empty()) return Error(500, "no webhook secret is configured; refusing every delivery");
  if (request.signature.empty()) return Error(401, "missing X-Hub-Signature-256");
  if (!SignatureMatches(options_.secret, request.body, request.signature)) {
    return Error(401, "X-Hub-Signature-256 does not match the body");
  }
  // Before anything is recorded: a body nested too deep for the parser is
  // refused and changes nothing (not even the delivery's record).
  Status depth = CheckJsonDepth(request.body, "webhook body");
  if (!depth.ok()) return Error(400, depth.message());
  if (request.event.empty()) return Error(400, "missing X-GitHub-Event");
  if (request.delivery_id.empty()) return Error(400, "missing X-GitHub-Delivery");

  // The payload is read before anything is recorded: a malformed one
  // records nothing.
  Push push;
  if (request.event == "push") {
    rapidjson::Document payload;
    payload.Parse(request.body.c_str(), request.body.size());
    if (payload.HasParseError() || !payload.IsObject()) return Error(400, "the push payload is not a JSON object");
    push.ref = StringMember(payload, "ref");
    push.full_name = payload.HasMember("repository") ? Lower(StringMember(payload["repository"], "full_name")) : "";
    if (push.ref.empty() || push.full_name.empty()) {
      return Error(400, "the push payload has no ref or repository.full_name");
    }
    const std::string kHeads = "refs/heads/";
    if (push.ref.compare(0, kHeads.size(), kHeads) == 0) push.branch = push.ref.substr(kHeads.size());
    push.deleted = BoolMember(payload, "deleted");
    push.forced = BoolMember(payload, "forced");
  }

  // Each delivery acts once: it is recorded in the transaction that acts on
  // it (the primary key is the lock), so a delivery that fails is recorded
  // nowhere and its redelivery acts.
  std::string delivery = request.delivery_id, event = request.event, now = NowIso8601();
  bool duplicate = false;
  std::vector<std::string> queued, marked;
  Status done = db_->InTransaction([&]() -> Status {
    soci::statement record =
        (db_->session().prepare << "INSERT INTO webhook_deliveries (delivery_id, event, received_at)"
                                   " VALUES (:d, :e, :t) ON CONFLICT (delivery_id) DO NOTHING",
         soci::use(delivery), soci::use(event), soci::use(now));
    record.execute(true);
    if (record.get_affected_rows() == 0) {
      duplicate = true;
      return Status::Ok();
    }
    if (push.branch.empty()) return Status::Ok();
    return ActOnPush(push, &queued, &marked);
  });
  if (!done.ok()) {
    return Error(503, "the delivery was not acted on and not recorded (redeliver it): " + done.message());
  }
  if (duplicate) return Reply().Str("delivery", delivery).Str("result", "duplicate delivery ignored").Done(200);
  queue_->StartClaimed();

  if (request.event == "ping") return Reply().Str("result", "pong").Done(200);
  if (request.event != "push") return Reply().Str("result", "event " + request.event + " ignored").Done(202);
  if (push.branch.empty()) return Reply().Str("result", "not a branch: " + push.ref).Done(202);
  return Reply().Str("branch", push.branch).List("queued", queued).List("marked_branch_missing", marked).Done(202);
}

Status GithubWebhookHandler::ActOnPush(const Push& push, std::vector<std::string>* queued,
                                       std::vector<std::string>* marked) {
  db::ProjectStore projects(db_);
  Result<std::vector<db::Project>> all = projects.List();
  if (!all.ok()) return all.status();
  for (const db::Project& p : *all) {
    if (RepositoryFullName(p.repo_url) != push.full_name || p.branch != push.branch) continue;
    if (push.deleted) {
      // Nothing is deleted: the documents stay until an operator decides.
      TETHER_RETURN_IF_ERROR(projects.SetStatus(
          p.id, sync::ToString(sync::ProjectStatus::kBranchMissing), "branch \"" + push.branch + "\" was deleted on GitHub; nothing was deleted here"));
      marked->push_back(p.name);
      continue;
    }
    if (!p.sync_enabled) continue;
    TETHER_RETURN_IF_ERROR(queue_->Enqueue(p, push.forced ? "webhook push (forced)" : "webhook push"));
    queued->push_back(p.name);
  }
  return Status::Ok();
}

}  // namespace tether::webhooks
