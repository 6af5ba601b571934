// GitHub's rate limits, as the REST layer sees them.
//
// A 403 or a 429 is a rate limit when it carries a sign of one: a
// retry-after header, x-ratelimit-remaining: 0, or (429, or a message that
// says "rate limit") GitHub's secondary limit. GitHub documents the waits:
//   - retry-after: wait that many seconds;
//   - x-ratelimit-remaining 0: wait until x-ratelimit-reset (epoch seconds);
//   - otherwise (a secondary limit without retry-after): at least a minute,
//     longer if it happens again (here: doubling for each one in a row).
// Any other 403 is a permission problem and not this file's business.
//
// RateLimitGate remembers the wait, so that no request is sent before it is
// over (GitHub may ban integrations that keep calling while limited), and
// keeps it in a small file in the cache folder so that the next process
// (a `tether sync` run from cron) honours it too.
#ifndef TETHER_PLUGINS_GITHUB_RATE_LIMIT_H_
#define TETHER_PLUGINS_GITHUB_RATE_LIMIT_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "shared/http_client.h"
#include "tether/status.h"

namespace tether {
namespace github {

struct RateLimitVerdict {
  bool limited = false;
  bool secondary = false;     // GitHub's secondary (abuse) limit
  bool has_wait = false;      // retry-after or x-ratelimit-reset told the wait
  int64_t wait_seconds = 0;   // when has_wait
  std::string sign;           // what gave it away, for the message
};

// Classifies one answer (any status; only 403 and 429 can be limits).
// `now` is the current time in epoch seconds.
RateLimitVerdict ClassifyRateLimit(const HttpResponse& response, int64_t now);

// "2024-05-01T12:00:00Z".
std::string FormatUtc(int64_t epoch_seconds);

// Thread safety: all methods may be called from any thread.
// Errors: the state file is best effort; failing to read or write it only
// loses the memory across processes, never fails a request.
class RateLimitGate {
 public:
  // `state_file` keeps the state across processes ("" keeps it in memory
  // only). `secondary_min_seconds` is the first wait of a secondary limit
  // without retry-after.
  RateLimitGate(std::string state_file, int64_t secondary_min_seconds);

  // RateLimited ("rate limited until <UTC time>: ...") while an earlier
  // limit is in force, else OK.
  Status Check(int64_t now);

  // Records a limit seen in an answer and returns the RateLimited Status to
  // report. `what` names the request ("GET /repos/o/n/branches").
  Status Limit(const RateLimitVerdict& verdict, int64_t now, const std::string& what);

  // A request went through: secondary limits in a row start over.
  void Passed();

 private:
  void LoadLocked();
  void SaveLocked();
  Status LimitedStatusLocked(int64_t now) const;

  std::mutex mutex_;
  const std::string state_file_;
  const int64_t secondary_min_seconds_;
  bool loaded_ = false;
  int64_t until_ = 0;         // epoch seconds; no request before
  int secondary_strikes_ = 0; // secondary limits in a row
  std::string reason_;        // why, for the message
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_RATE_LIMIT_H_
