#include "credentials.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "app_jwt.h"
#include "file_util.h"
#include "rest_transport.h"
#include "tether/json_depth.h"

namespace tether {
namespace github {
namespace {

std::string TrimSpace(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

class AnonymousSource final : public TokenSource {
 public:
  Result<std::string> Token() override { return std::string(); }
  std::string Describe() const override { return "no token (anonymous access)"; }
  std::string Identity() const override { return "anonymous"; }
};

class EnvTokenSource final : public TokenSource {
 public:
  explicit EnvTokenSource(std::string variable) : variable_(std::move(variable)) {}

  Result<std::string> Token() override {
    const char* value = std::getenv(variable_.c_str());
    const std::string token = value == nullptr ? "" : TrimSpace(value);
    if (token.empty()) {
      return Status::Unauthenticated("environment variable " + variable_ +
                                     " (the github plugin's token_env) is not set or empty");
    }
    TETHER_RETURN_IF_ERROR(CheckTokenText(token, Describe()));
    Remember(token);
    return token;
  }
  std::string Describe() const override {
    return "the token in $" + variable_ + " (token_env)";
  }
  std::string Identity() const override { return "env-" + variable_; }

 private:
  const std::string variable_;
};

class FileTokenSource final : public TokenSource {
 public:
  explicit FileTokenSource(std::string path) : path_(std::move(path)) {}

  Result<std::string> Token() override {
    std::string content;
    Status read = ReadWholeFile(path_, &content);
    if (!read.ok()) {
      return Status::Unauthenticated("cannot read the github plugin's token_file: " +
                                     read.message());
    }
    const std::string token = TrimSpace(content);
    if (token.empty()) {
      return Status::Unauthenticated("the github plugin's token_file '" + path_ + "' is empty");
    }
    TETHER_RETURN_IF_ERROR(CheckTokenText(token, Describe()));
    Remember(token);
    return token;
  }
  std::string Describe() const override { return "the token in file '" + path_ + "' (token_file)"; }
  std::string Identity() const override { return "file-" + path_; }

 private:
  const std::string path_;
};

// "2024-05-01T12:00:00Z" -> epoch seconds; false when not in that form.
bool ParseUtcTimestamp(const std::string& text, int64_t* out) {
  std::tm tm{};
  int year = 0;
  int month = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &year, &month, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail) != 7 ||
      tail != 'Z') {
    return false;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  *out = static_cast<int64_t>(timegm(&tm));
  return true;
}

class AppTokenSource final : public TokenSource {
 public:
  AppTokenSource(const GitHubSettings* settings, RateLimitGate* gate,
                 std::unique_ptr<AppJwtSigner> signer)
      : settings_(settings), app_(*settings->app), signer_(std::move(signer)),
        transport_(settings, gate) {}

  Result<std::string> Token() override {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t now = NowSeconds();
    if (!token_.empty() && now < refresh_at_) return token_;
    return ExchangeLocked(now);
  }

  bool Refused(const std::string& token) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (token.empty() || token != token_) return !token_.empty();  // already replaced
    token_.clear();
    return true;
  }

  std::string Describe() const override {
    return "the installation token of GitHub App " + app_.app_id + " (installation " +
           std::to_string(app_.installation_id) + ")";
  }
  std::string Identity() const override {
    return "app-" + app_.app_id + "-" + std::to_string(app_.installation_id);
  }

 private:
  Result<std::string> ExchangeLocked(int64_t now) {
    Result<std::string> jwt = signer_->Make(now);
    if (!jwt.ok()) return jwt.status();
    const std::string what = "POST /app/installations/" + std::to_string(app_.installation_id) +
                             "/access_tokens (GitHub App " + app_.app_id + ")";
    HttpRequest request;
    request.method = "POST";
    request.url = settings_->api_base_url + "/app/installations/" +
                  std::to_string(app_.installation_id) + "/access_tokens";
    Result<HttpResponse> sent = transport_.Send(request, "Bearer " + *jwt, "", what);
    if (!sent.ok()) return sent.status();
    const HttpResponse& response = *sent;
    const std::string message = GitHubMessage(response.body);
    if (response.status == 401) {
      return Status::Unauthenticated(what + ": GitHub refused the App's JWT (401 " + message +
                                     "); check app.app_id and app.private_key_file");
    }
    if (response.status == 404) {
      return Status::NotFound(what + ": no such installation of the App (404 " + message +
                              "); check app.installation_id");
    }
    if (response.status == 403) {
      return Status::PermissionDenied(what + ": GitHub refused (403 " + message + ")");
    }
    if (response.status != 201 && response.status != 200) {
      return Status::Internal(what + ": unexpected answer " + std::to_string(response.status) +
                              " " + message);
    }
    if (Status deep = CheckJsonDepth(response.body, what + ": the answer"); !deep.ok()) {
      return Status::Internal(deep.message());
    }
    rapidjson::Document document;
    document.Parse(response.body.c_str(), response.body.size());
    if (document.HasParseError() || !document.IsObject() || !document.HasMember("token") ||
        !document["token"].IsString() || !document.HasMember("expires_at") ||
        !document["expires_at"].IsString()) {
      return Status::Internal(what + ": the answer has no token and expires_at");
    }
    std::string token(document["token"].GetString(), document["token"].GetStringLength());
    TETHER_RETURN_IF_ERROR(CheckTokenText(token, Describe()));
    int64_t expires_at = 0;
    if (!ParseUtcTimestamp(document["expires_at"].GetString(), &expires_at)) {
      return Status::Internal(what + ": expires_at '" +
                              std::string(document["expires_at"].GetString()) +
                              "' is not a UTC timestamp");
    }
    Remember(token);
    // Renew while a quarter of the token's life (at most 5 minutes) is left,
    // so that a sync never starts with a token about to expire.
    const int64_t lifetime = std::max<int64_t>(0, expires_at - now);
    refresh_at_ = expires_at - std::min<int64_t>(300, lifetime / 4);
    token_ = std::move(token);
    return token_;
  }

  static std::string GitHubMessage(const std::string& body) {
    if (!CheckJsonDepth(body, "").ok()) return "";
    rapidjson::Document document;
    document.Parse(body.c_str(), body.size());
    if (document.HasParseError() || !document.IsObject() || !document.HasMember("message") ||
        !document["message"].IsString()) {
      return "";
    }
    return document["message"].GetString();
  }

  const GitHubSettings* const settings_;  // not owned
  const AppSettings app_;
  const std::unique_ptr<AppJwtSigner> signer_;
  std::mutex mutex_;  // guards everything below
  RestTransport transport_;
  std::string token_;      // "" until the first exchange or after a refusal
  int64_t refresh_at_ = 0;  // epoch seconds
};

}  // namespace

bool TokenSource::Refused(const std::string& /*token*/) { return false; }

void TokenSource::Remember(const std::string& token) {
  std::lock_guard<std::mutex> lock(secrets_mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), token) == secrets_.end()) {
    secrets_.push_back(token);
  }
}

Status TokenSource::Scrub(const Status& status) const {
  if (status.ok()) return status;
  std::string message = status.message();
  {
    std::lock_guard<std::mutex> lock(secrets_mutex_);
    for (const std::string& secret : secrets_) {
      if (secret.empty()) continue;
      size_t pos = 0;
      while ((pos = message.find(secret, pos)) != std::string::npos) {
        message.replace(pos, secret.size(), "[redacted]");
        pos += 10;
      }
    }
  }
  if (status.code() == StatusCode::kRateLimited) {
    return Status::RateLimited(message, status.retry_after_seconds());
  }
  return Status(status.code(), message);
}

Status CheckTokenText(const std::string& token, const std::string& where) {
  if (token.empty()) return Status::Unauthenticated(where + " is empty");
  for (char c : token) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return Status::InvalidArgument(where +
                                     " contains control characters; a token must be one line");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<TokenSource>> MakeTokenSource(const GitHubSettings* settings,
                                                     RateLimitGate* gate) {
  if (!settings->token_env.empty()) {
    return std::unique_ptr<TokenSource>(new EnvTokenSource(settings->token_env));
  }
  if (!settings->token_file.empty()) {
    return std::unique_ptr<TokenSource>(new FileTokenSource(settings->token_file));
  }
  if (settings->app) {
    Result<std::unique_ptr<AppJwtSigner>> signer = AppJwtSigner::Load(*settings->app);
    if (!signer.ok()) return signer.status();
    return std::unique_ptr<TokenSource>(
        new AppTokenSource(settings, gate, std::move(signer).value()));
  }
  return std::unique_ptr<TokenSource>(new AnonymousSource());
}

}  // namespace github
}  // namespace tether
