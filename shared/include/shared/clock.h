// Wall-clock helpers: UTC timestamps as the database stores them, and a
// monotonic stopwatch for phase timings.
#ifndef TETHER_SHARED_CLOCK_H_
#define TETHER_SHARED_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace tether {

// Now as UTC ISO-8601 with milliseconds: "2026-11-25T01:02:03.456Z".
std::string NowIso8601();

// Seconds since the Unix epoch.
int64_t NowUnixSeconds();
// Milliseconds since the Unix epoch.
int64_t NowUnixMillis();

// `unix_seconds` as UTC ISO-8601: "2026-11-25T01:02:03Z".
std::string Iso8601FromUnixSeconds(int64_t unix_seconds);

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  int64_t ElapsedMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - start_).count();
  }
  double ElapsedMillisExact() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tether

#endif  // TETHER_SHARED_CLOCK_H_
