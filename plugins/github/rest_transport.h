// RestTransport: how every REST request reaches GitHub. It adds GitHub's
// standard headers, refuses to send anything outside the configured API's
// origin (a Link or Location header pointing elsewhere must never receive
// the token), honours rate limits, and retries what is worth retrying:
//
//   rate-limit gate closed   -> RateLimited, nothing sent
//   403/429 with limit signs -> RateLimited (and the gate closes; see rate_limit.h)
//   5xx, network errors      -> retried max_retries times, waiting
//                               retry_initial_delay_ms * 2^n (capped at
//                               retry_max_delay_ms) scaled by a random
//                               factor in [0.5, 1]; then Unavailable
//   anything else            -> returned to the caller as it is
//
// Ownership: owns its HttpClient; borrows the settings and the gate, which
// must outlive it. Thread safety: one thread at a time (like HttpClient).
#ifndef TETHER_PLUGINS_GITHUB_REST_TRANSPORT_H_
#define TETHER_PLUGINS_GITHUB_REST_TRANSPORT_H_

#include <cstdint>
#include <random>
#include <string>

#include "shared/http_client.h"
#include "rate_limit.h"
#include "settings.h"
#include "tether/status.h"

namespace tether {
namespace github {

// Seconds since the epoch, from the system clock.
int64_t NowSeconds();

class RestTransport {
 public:
  RestTransport(const GitHubSettings* settings, RateLimitGate* gate);

  // Sends `request` (GET or POST) with `authorization` as the value of the
  // Authorization header ("" for none) and `if_none_match` as a condition
  // ("" for none). `what` names the request in messages.
  Result<HttpResponse> Send(HttpRequest request, const std::string& authorization,
                            const std::string& if_none_match, const std::string& what);

  // Whether `url` lies under the configured API's origin.
  bool IsApiUrl(const std::string& url) const;

 private:
  int64_t BackoffMillis(int attempt);

  const GitHubSettings* const settings_;  // not owned
  RateLimitGate* const gate_;             // not owned
  const std::string api_origin_;          // "https://api.github.com"
  HttpClient http_;
  std::mt19937_64 random_;
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_REST_TRANSPORT_H_
