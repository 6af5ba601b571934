// What the conformance kit found: one verdict per contract, with the call
// that broke it. ContractLog collects them while a kit runs and is thread
// safe (a kit checks from several threads at once); a Report is a value.
#ifndef TETHER_ENGINE_CONFORMANCE_REPORT_H_
#define TETHER_ENGINE_CONFORMANCE_REPORT_H_

#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tether/status.h"

namespace tether::conformance {

enum class Verdict { kPassed, kFailed, kSkipped };

// "passed", "failed", "skipped".
const char* VerdictName(Verdict verdict);

// `text` as a report shows it: valid UTF-8 as is, control characters and
// bytes that are not UTF-8 as \xNN (and a backslash too when asked, as for
// a path, so that what is shown reads back one way).
std::string Printable(std::string_view text, bool escape_backslash);
// A path as a report shows it: Printable(path, true).
std::string ShownPath(const std::string& path);

struct ContractResult {
  std::string id;        // short and stable: "paths-once"
  std::string contract;  // what the plugin promises, one sentence
  Verdict verdict = Verdict::kSkipped;
  int checks = 0;        // times it was checked and held
  int failures = 0;      // times it was broken
  std::string detail;    // failed: the first call that broke it, expected and seen; skipped: why
};

struct Report {
  std::vector<ContractResult> contracts;  // in the order they were declared
  int Count(Verdict verdict) const;
  bool Passed() const { return Count(Verdict::kFailed) == 0; }
};

class ContractLog {
 public:
  // The contracts checked, as (id, sentence) pairs in report order; every
  // id given to the calls below is one of them.
  explicit ContractLog(const std::vector<std::pair<std::string, std::string>>& contracts);
  // One check of contract `id` held, or broke (the first detail is kept).
  void Held(const std::string& id);
  void Broken(const std::string& id, const std::string& detail);
  // Why `id` may go unchecked; shown only when nothing checked it.
  void Skip(const std::string& id, const std::string& why);
  // Passed when checked and never broken; failed when broken; skipped when
  // never checked (with the reason given, else "not reached").
  Report Finish() const;

 private:
  ContractResult* Find(const std::string& id);  // declared, or aborts: a kit bug

  mutable std::mutex mu_;
  std::vector<ContractResult> results_;
  std::map<std::string, size_t> index_;
};

// The contract every kit checks on each call into a plugin.
inline constexpr char kNoThrowContract[] = "no-throw";

// Calls `f`, a call into the plugin that `call` names: a return holds
// "no-throw"; an exception breaks it, naming the call, and comes back as
// Internal so that the kit goes on.
template <typename F>
auto Guarded(ContractLog* log, const std::string& call, F&& f) -> decltype(f()) {
  try {
    auto result = f();
    log->Held(kNoThrowContract);
    return result;
  } catch (const std::exception& e) {
    log->Broken(kNoThrowContract, call + " threw an exception: " + e.what());
  } catch (...) {
    log->Broken(kNoThrowContract, call + " threw an exception that is not a std::exception");
  }
  return Status::Internal(call + " threw");
}

}  // namespace tether::conformance

#endif  // TETHER_ENGINE_CONFORMANCE_REPORT_H_
