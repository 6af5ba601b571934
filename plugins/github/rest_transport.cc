#include "rest_transport.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "http_url.h"

namespace tether {
namespace github {
namespace {

constexpr char kUserAgent[] = "User-Agent: tether-github-provider/0.1.0";

}  // namespace

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RestTransport::RestTransport(const GitHubSettings* settings, RateLimitGate* gate)
    : settings_(settings),
      gate_(gate),
      http_(settings->connect_timeout_ms, settings->request_timeout_ms),
      random_(std::random_device{}()) {}

bool RestTransport::IsApiUrl(const std::string& url) const {
  const std::string prefix = settings_->api_base_url + "/";
  return url.compare(0, prefix.size(), prefix) == 0;
}

int64_t RestTransport::BackoffMillis(int attempt) {
  int64_t delay = settings_->retry_initial_delay_ms;
  for (int i = 0; i < attempt && delay < settings_->retry_max_delay_ms; ++i) delay *= 2;
  delay = std::min(delay, settings_->retry_max_delay_ms);
  // "Equal jitter": somewhere in the upper half, so that many clients that
  // failed together do not come back together.
  std::uniform_real_distribution<double> factor(0.5, 1.0);
  return static_cast<int64_t>(static_cast<double>(delay) * factor(random_));
}

Result<HttpResponse> RestTransport::Send(HttpRequest request, const std::string& authorization,
                                         const std::string& if_none_match,
                                         const std::string& what) {
  if (!IsApiUrl(request.url)) {
    return Status::Internal(what + ": refusing to send a request to '" + request.url +
                            "', which is outside the configured api_base_url " +
                            settings_->api_base_url);
  }
  request.headers.push_back("Accept: application/vnd.github+json");
  request.headers.push_back("X-GitHub-Api-Version: 2022-11-28");
  request.headers.push_back(kUserAgent);
  if (!authorization.empty()) request.headers.push_back("Authorization: " + authorization);
  if (!if_none_match.empty()) request.headers.push_back("If-None-Match: " + if_none_match);

  Status last_failure;
  const int attempts = settings_->max_retries + 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(BackoffMillis(attempt - 1)));
    TETHER_RETURN_IF_ERROR(gate_->Check(NowSeconds()));
    Result<HttpResponse> sent = http_.Send(request);
    if (!sent.ok()) {
      last_failure = sent.status();  // the transport: refused, reset, timed out
      continue;
    }
    HttpResponse& response = *sent;
    const RateLimitVerdict verdict = ClassifyRateLimit(response, NowSeconds());
    if (verdict.limited) return gate_->Limit(verdict, NowSeconds(), what);
    if (response.status >= 500) {
      last_failure = Status::Unavailable(what + ": GitHub answered " + std::to_string(response.status));
      continue;
    }
    gate_->Passed();
    return std::move(sent).value();
  }
  return Status::Unavailable(last_failure.message() + " (gave up after " + std::to_string(attempts) +
                             (attempts == 1 ? " attempt)" : " attempts)"));
}

}  // namespace github
}  // namespace tether
