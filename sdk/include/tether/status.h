// Status and Result<T>: how every Tether interface reports a recoverable
// error. No C++ exception crosses a plugin boundary; errors travel as values.
//
// A Status is either OK or carries a code and a human-readable message. The
// message names what failed and where (a file, a path, a branch); it never
// contains a secret. It is for people: callers branch on code() and on the
// data a code carries (retry_after_seconds() of RateLimited), never on the
// message text. Status and Result are plain values: copyable, movable,
// and safe to use from any thread as long as one object is not mutated from
// two threads at once.
//
// Both are [[nodiscard]]: a call that returns one must be handled (returned,
// recorded, logged). Where ignoring one is right, cast it to void and say
// why in a comment.
#ifndef TETHER_STATUS_H_
#define TETHER_STATUS_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace tether {

// What kind of error a Status is. Callers branch on the code, never on the
// message text.
enum class StatusCode : int {
  kOk = 0,
  kNotFound = 1,          // a project, branch, commit, file or plugin is missing
  kInvalidArgument = 2,   // bad input: config, path, body, payload, SQL
  kUnauthenticated = 3,   // no or wrong credentials
  kPermissionDenied = 4,  // credentials fine, access refused
  kRateLimited = 5,       // try again after retry_after_seconds()
  kUnavailable = 6,       // transient: network, busy database, service down
  kConflict = 7,          // someone else holds it (a running sync, a lease)
  kDataLoss = 8,          // something would be or was lost; nothing was done
  kInternal = 9,          // a bug or an unexpected failure
};

// Returns a stable lower-case name for `code`, e.g. "not_found".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  // An OK status has no message. Status(StatusCode::kOk, "something") is
  // taken for what it most likely is, an error built with the wrong code:
  // it becomes kInternal with the message "OK status with a message:
  // something", so that it cannot pass as a success and hide the error.
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {
    if (code_ == StatusCode::kOk && !message_.empty()) {
      code_ = StatusCode::kInternal;
      message_ = "OK status with a message: " + message_;
    }
  }

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  // `retry_after_seconds` is how long the caller should wait before retrying,
  // counted from when the status was made; the caller works out "until
  // when" from it (the message need not say). Other codes carry 0.
  static Status RateLimited(std::string m, int64_t retry_after_seconds) {
    Status s(StatusCode::kRateLimited, std::move(m));
    s.retry_after_seconds_ = retry_after_seconds;
    return s;
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int64_t retry_after_seconds() const { return retry_after_seconds_; }

  // "ok", or "<code name>: <message>".
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(StatusCodeName(code_)) + ": " + message_;
  }

  // Returns a copy whose message is "<context>: <message>". OK stays OK.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    Status s = *this;
    s.message_ = context + ": " + message_;
    return s;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int64_t retry_after_seconds_ = 0;
};

inline const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kRateLimited: return "rate_limited";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kDataLoss: return "data_loss";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

// Either a value of type T or a non-OK Status. Accessing the value (value(),
// * or ->) of an error Result is a programming error, checked in every build
// type: it prints the status to stderr and aborts the process. Check ok()
// first.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status::Internal("Result built from an OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    if (!value_.has_value()) AbortOnError();
    return *value_;
  }
  const T& Checked() const {
    if (!value_.has_value()) AbortOnError();
    return *value_;
  }
  [[noreturn]] void AbortOnError() const {
    std::fprintf(stderr, "tether: fatal: the value of an error Result was used (%s)\n",
                 status_.ToString().c_str());
    std::fflush(stderr);
    std::abort();
  }

  Status status_;
  std::optional<T> value_;
};

}  // namespace tether

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define TETHER_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::tether::Status tether_status_ = (expr);     \
    if (!tether_status_.ok()) return tether_status_; \
  } while (0)

#endif  // TETHER_STATUS_H_
