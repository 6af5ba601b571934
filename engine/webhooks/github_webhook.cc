#include "engine/webhooks/github_webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <soci/soci.h>

#include "engine/common/json_writer.h"
#include "shared/clock.h"
#include "engine/db/project_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "engine/sync/run_states.h"
#include "tether/json_depth.h"

namespace tether::webhooks {
namespace {

// What RepositoryMention promises providers (provider.h).
constexpr size_t kMaxNamePart = 100;
constexpr size_t kMaxUrl = 2048;

bool PrintableAsciiWithoutSpaces(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

bool FullNamePart(const std::string& part) {
  return !part.empty() && part.size() <= kMaxNamePart && part != "." && part != "..";
}

// Why `full_name` is not "owner/name"; "" when it is.
std::string FullNameProblem(const std::string& full_name) {
  const size_t slash = full_name.find('/');
  if (full_name.size() > 2 * kMaxNamePart + 1) {
    return "is longer than " + std::to_string(2 * kMaxNamePart + 1) + " characters";
  }
  if (!PrintableAsciiWithoutSpaces(full_name)) return "holds a space, a control character or a non-ASCII byte";
  if (slash == std::string::npos || full_name.find('/', slash + 1) != std::string::npos ||
      !FullNamePart(full_name.substr(0, slash)) || !FullNamePart(full_name.substr(slash + 1))) {
    return "is not \"owner/name\" (one '/', neither side empty, \".\" nor \"..\")";
  }
  return "";
}

// Why `url` cannot be handed to providers; "" when it can (or is absent).
std::string UrlProblem(const std::string& url) {
  if (url.size() > kMaxUrl) return "is longer than " + std::to_string(kMaxUrl) + " characters";
  if (!PrintableAsciiWithoutSpaces(url)) return "holds a space, a control character or a non-ASCII byte";
  return "";
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
  // [{"project": name, "reason": why}, ...]
  Reply& Skipped(const char* key, const std::vector<std::pair<std::string, std::string>>& skipped) {
    json_.BeginArray(key);
    for (const auto& [project, reason] : skipped) json_.Begin().Str("project", project).Str("reason", reason).End();
    json_.EndArray();
    return *this;
  }
  WebhookResponse Done(int status, std::string outcome) {
    WebhookResponse done;
    done.status = status;
    done.json = json_.End().Text();
    done.outcome = std::move(outcome);
    return done;
  }

 private:
  CompactJsonWriter json_;
};

WebhookResponse Error(int status, const std::string& message) {
  WebhookResponse refused;
  refused.status = status;
  refused.error = message;
  refused.outcome = "refused";
  return refused;
}

bool SignatureMatches(const std::string& secret, const std::string& body, const std::string& given) {
  std::string expected = GithubSignature(secret, body);
  if (given.size() != expected.size()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string StringMember(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject() || !object.HasMember(key) || !object[key].IsString()) return "";
  return std::string(object[key].GetString(), object[key].GetStringLength());  // NUL bytes too
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

Result<bool> ProviderMatcher::Matches(const db::Project& project, const RepositoryMention& mention) {
  return plugins_->MatchesRepository(project.provider, project.repo_url, mention);
}

GithubWebhookHandler::GithubWebhookHandler(db::Database* db, SyncQueue* queue, ProjectMatcher* matcher,
                                           GithubWebhookOptions options)
    : db_(db), queue_(queue), matcher_(matcher), options_(std::move(options)) {}

// What a push delivery asks for, read from its payload.
struct GithubWebhookHandler::Push {
  std::string branch;     // empty: not a branch (a tag), nothing to do
  std::string ref;
  RepositoryMention repository;
  bool deleted = false;
  bool forced = false;
};

// What acting on a push did, for the answer.
struct GithubWebhookHandler::Acted {
  std::vector<std::string> queued, marked;
  std::vector<std::pair<std::string, std::string>> skipped;  // project, why
};

WebhookResponse GithubWebhookHandler::Handle(const WebhookRequest& request) {
  if (request.body.size() > options_.max_body_bytes) {
    return Error(413, "body of " + std::to_string(request.body.size()) + " bytes is over the limit of " +
                          std::to_string(options_.max_body_bytes));
  }
  if (options_.secret.empty()) {
    return Error(503, "no webhook secret is configured (server.github_webhook_secret); refusing every delivery");
  }
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
    static const rapidjson::Value kNone;
    const rapidjson::Value& repository = payload.HasMember("repository") ? payload["repository"] : kNone;
    RepositoryMention& mention = push.repository;
    mention.forge = "github";
    mention.full_name = StringMember(repository, "full_name");
    if (push.ref.empty() || mention.full_name.empty()) {
      return Error(400, "the push payload has no ref or repository.full_name");
    }
    // Providers get only what RepositoryMention promises them.
    if (std::string problem = FullNameProblem(mention.full_name); !problem.empty()) {
      return Error(400, "the push payload's repository.full_name " + problem + "; nothing was done");
    }
    for (auto [key, value] : {std::pair{"html_url", &mention.html_url}, std::pair{"clone_url", &mention.clone_url},
                              std::pair{"ssh_url", &mention.ssh_url}, std::pair{"git_url", &mention.git_url},
                              std::pair{"svn_url", &mention.svn_url}}) {
      *value = StringMember(repository, key);
      if (std::string problem = UrlProblem(*value); !problem.empty()) {
        return Error(400, std::string("the push payload's repository.") + key + " " + problem + "; nothing was done");
      }
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
  Acted acted;
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
    return ActOnPush(push, &acted);
  });
  if (!done.ok()) {
    return Error(503, "the delivery was not acted on and not recorded (redeliver it): " + done.message());
  }
  WebhookResponse answer = [&] {
    if (duplicate) {
      return Reply().Str("delivery", delivery).Str("result", "duplicate delivery ignored").Done(200, "duplicate");
    }
    queue_->StartClaimed();
    if (request.event == "ping") return Reply().Str("result", "pong").Done(200, "pong");
    if (request.event != "push") return Reply().Str("result", "event " + request.event + " ignored").Done(202, "ignored");
    if (push.branch.empty()) return Reply().Str("result", "not a branch: " + push.ref).Done(202, "ignored");
    return Reply()
        .Str("branch", push.branch)
        .List("queued", acted.queued)
        .List("marked_branch_missing", acted.marked)
        .Skipped("skipped", acted.skipped)
        .Done(202, "acted");
  }();
  answer.repository = push.repository.full_name;
  answer.triggered = static_cast<int>(acted.queued.size());
  answer.skipped = static_cast<int>(acted.skipped.size());
  return answer;
}

Status GithubWebhookHandler::ActOnPush(const Push& push, Acted* acted) {
  db::ProjectStore projects(db_);
  Result<std::vector<db::Project>> all = projects.List();
  if (!all.ok()) return all.status();
  for (const db::Project& p : *all) {
    if (p.branch != push.branch) continue;
    // Only the project's provider can tell whether its URL is this repository.
    Result<bool> matches = matcher_->Matches(p, push.repository);
    if (!matches.ok()) {
      acted->skipped.emplace_back(p.name, matches.status().message());
      continue;
    }
    if (!*matches) continue;
    if (push.deleted) {
      // Nothing is deleted: the documents stay until an operator decides.
      TETHER_RETURN_IF_ERROR(projects.SetStatus(
          p.id, sync::ToString(sync::ProjectStatus::kBranchMissing), "branch \"" + push.branch + "\" was deleted on GitHub; nothing was deleted here"));
      acted->marked.push_back(p.name);
      continue;
    }
    if (!p.sync_enabled) continue;
    TETHER_RETURN_IF_ERROR(queue_->Enqueue(p, push.forced ? "webhook push (forced)" : "webhook push"));
    acted->queued.push_back(p.name);
  }
  return Status::Ok();
}

}  // namespace tether::webhooks
