#include "engine/conformance/report.h"

#include <cstdio>
#include <cstdlib>

#include "engine/common/utf8.h"

namespace tether::conformance {

std::string Printable(std::string_view text, bool escape_backslash) {
  static const char kHex[] = "0123456789abcdef";
  std::string shown;
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    const unsigned char c = static_cast<unsigned char>(text[0]);
    if (length > 1 || (length == 1 && c >= 0x20 && c != 0x7f && !(escape_backslash && c == '\\'))) {
      shown.append(text.substr(0, length));
      text.remove_prefix(length);
      continue;
    }
    shown += "\\x";
    shown.push_back(kHex[c >> 4]);
    shown.push_back(kHex[c & 0xf]);
    text.remove_prefix(1);
  }
  return shown;
}

std::string ShownPath(const std::string& path) { return Printable(path, true); }

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPassed: return "passed";
    case Verdict::kFailed: return "failed";
    case Verdict::kSkipped: return "skipped";
  }
  return "unknown";
}

int Report::Count(Verdict verdict) const {
  int n = 0;
  for (const ContractResult& result : contracts) n += result.verdict == verdict ? 1 : 0;
  return n;
}

ContractLog::ContractLog(const std::vector<std::pair<std::string, std::string>>& contracts) {
  for (const auto& [id, contract] : contracts) {
    index_.emplace(id, results_.size());
    ContractResult result;
    result.id = id;
    result.contract = contract;
    results_.push_back(std::move(result));
  }
}

ContractResult* ContractLog::Find(const std::string& id) {
  auto found = index_.find(id);
  if (found == index_.end()) {
    std::fprintf(stderr, "tether: fatal: the conformance kit checked an undeclared contract \"%s\"\n", id.c_str());
    std::abort();
  }
  return &results_[found->second];
}

void ContractLog::Held(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ++Find(id)->checks;
}

void ContractLog::Broken(const std::string& id, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  ContractResult* result = Find(id);
  if (result->failures++ == 0) result->detail = Printable(detail, false);
}

void ContractLog::Skip(const std::string& id, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  ContractResult* result = Find(id);
  if (result->failures == 0 && result->detail.empty()) result->detail = why;
}

Report ContractLog::Finish() const {
  std::lock_guard<std::mutex> lock(mu_);
  Report report;
  report.contracts = results_;
  for (ContractResult& result : report.contracts) {
    if (result.failures > 0) {
      result.verdict = Verdict::kFailed;
    } else if (result.checks > 0) {
      result.verdict = Verdict::kPassed;
      result.detail.clear();
    } else {
      result.verdict = Verdict::kSkipped;
      if (result.detail.empty()) result.detail = "not reached: an earlier step could not go on";
    }
  }
  return report;
}

}  // namespace tether::conformance
