#include "rate_limit.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include "file_util.h"
#include "tether/json_depth.h"

namespace tether {
namespace github {
namespace {

// Longest wait a secondary limit without retry-after doubles up to.
constexpr int64_t kMaxSecondaryBackoffSeconds = 3600;

bool ParseSeconds(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 15) return false;
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// GitHub's error body says what happened: {"message": "..."}.
std::string ErrorMessage(const std::string& body) {
  if (!CheckJsonDepth(body, "").ok()) return "";
  rapidjson::Document document;
  document.Parse(body.c_str(), body.size());
  if (document.HasParseError() || !document.IsObject()) return "";
  auto found = document.FindMember("message");
  if (found == document.MemberEnd() || !found->value.IsString()) return "";
  return found->value.GetString();
}

}  // namespace

std::string FormatUtc(int64_t epoch_seconds) {
  const std::time_t time = static_cast<std::time_t>(epoch_seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

RateLimitVerdict ClassifyRateLimit(const HttpResponse& response, int64_t now) {
  RateLimitVerdict verdict;
  if (response.status != 403 && response.status != 429) return verdict;
  const std::string message = Lower(ErrorMessage(response.body));
  const bool says_secondary = message.find("secondary rate limit") != std::string::npos ||
                              message.find("abuse") != std::string::npos;
  int64_t retry_after = 0;
  if (ParseSeconds(response.Header("retry-after"), &retry_after)) {
    verdict.limited = true;
    verdict.secondary = says_secondary || response.Header("x-ratelimit-remaining") != "0";
    verdict.has_wait = true;
    verdict.wait_seconds = std::max<int64_t>(1, retry_after);
    verdict.sign = "retry-after: " + std::to_string(retry_after);
    return verdict;
  }
  int64_t reset = 0;
  if (response.Header("x-ratelimit-remaining") == "0" && !says_secondary) {
    verdict.limited = true;
    verdict.secondary = false;
    if (ParseSeconds(response.Header("x-ratelimit-reset"), &reset)) {
      verdict.has_wait = true;
      verdict.wait_seconds = std::max<int64_t>(1, reset - now);
      verdict.sign = "x-ratelimit-remaining: 0, x-ratelimit-reset: " + std::to_string(reset);
    } else {
      verdict.sign = "x-ratelimit-remaining: 0";
    }
    return verdict;
  }
  if (response.status == 429 || says_secondary || message.find("rate limit") != std::string::npos) {
    verdict.limited = true;
    verdict.secondary = true;
    verdict.sign = response.status == 429 ? "429 Too Many Requests" : "GitHub's message";
  }
  return verdict;
}

RateLimitGate::RateLimitGate(std::string state_file, int64_t secondary_min_seconds)
    : state_file_(std::move(state_file)), secondary_min_seconds_(secondary_min_seconds) {}

Status RateLimitGate::Check(int64_t now) {
  std::lock_guard<std::mutex> lock(mutex_);
  LoadLocked();
  if (now < until_) return LimitedStatusLocked(now);
  return Status::Ok();
}

Status RateLimitGate::Limit(const RateLimitVerdict& verdict, int64_t now, const std::string& what) {
  std::lock_guard<std::mutex> lock(mutex_);
  LoadLocked();
  // GitHub's rule: retry-after (or the primary limit's reset time) when
  // the answer gives one; otherwise at least a minute, and for secondary
  // limits in a row exponentially longer.
  int64_t wait = 60;
  if (verdict.has_wait) {
    wait = verdict.wait_seconds;
  } else if (verdict.secondary) {
    wait = secondary_min_seconds_;
    for (int i = 0; i < secondary_strikes_ && wait < kMaxSecondaryBackoffSeconds; ++i) wait *= 2;
    wait = std::min(wait, std::max(kMaxSecondaryBackoffSeconds, secondary_min_seconds_));
  }
  if (verdict.secondary) ++secondary_strikes_;
  wait = std::max<int64_t>(1, wait);
  until_ = std::max(until_, now + wait);
  reason_ = std::string(verdict.secondary ? "GitHub's secondary rate limit" : "GitHub's primary rate limit") +
            " (" + verdict.sign + ") answering " + what;
  SaveLocked();
  return LimitedStatusLocked(now);
}

void RateLimitGate::Passed() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (secondary_strikes_ == 0) return;
  secondary_strikes_ = 0;
  SaveLocked();
}

Status RateLimitGate::LimitedStatusLocked(int64_t now) const {
  return Status::RateLimited("rate limited until " + FormatUtc(until_) + ": " + reason_,
                             std::max<int64_t>(1, until_ - now));
}

void RateLimitGate::LoadLocked() {
  if (loaded_) return;
  loaded_ = true;
  if (state_file_.empty()) return;
  std::string text;
  if (!ReadWholeFile(state_file_, &text).ok()) return;
  if (!CheckJsonDepth(text, "").ok()) return;  // not ours: start over
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  if (document.HasParseError() || !document.IsObject()) return;
  if (document.HasMember("until") && document["until"].IsInt64()) until_ = document["until"].GetInt64();
  if (document.HasMember("secondary_strikes") && document["secondary_strikes"].IsInt()) {
    secondary_strikes_ = std::max(0, std::min(document["secondary_strikes"].GetInt(), 32));
  }
  if (document.HasMember("reason") && document["reason"].IsString()) {
    reason_ = document["reason"].GetString();
  }
}

void RateLimitGate::SaveLocked() {
  if (state_file_.empty()) return;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("until");
  writer.Int64(until_);
  writer.Key("until_utc");
  writer.String(FormatUtc(until_).c_str());
  writer.Key("secondary_strikes");
  writer.Int(secondary_strikes_);
  writer.Key("reason");
  writer.String(reason_.c_str(), static_cast<rapidjson::SizeType>(reason_.size()));
  writer.EndObject();
  WriteFileAtomically(state_file_, std::string(buffer.GetString(), buffer.GetSize()) + "\n")
      .ok();  // best effort, see the header
}

}  // namespace github
}  // namespace tether
