#include "engine/sync/lease_owner.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "shared/clock.h"

namespace tether::sync {
namespace {

std::string& HostOverride() {
  static std::string host;
  return host;
}

std::string HostName() {
  if (!HostOverride().empty()) return HostOverride();
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

std::optional<int64_t> ParseNumber(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::strtoll(text.c_str(), nullptr, 10);
}

// What /proc says of the process `pid`: whether it has ended (a zombie
// not yet reaped: it runs no more) and when it started, in Unix seconds
// (rounded down). nullopt when /proc cannot tell.
struct ProcessFacts {
  bool ended = false;
  int64_t started = 0;
};

std::optional<ProcessFacts> ReadProcess(int64_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from the last ')'; state is field 3, starttime
  // (clock ticks after boot) field 22.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::vector<std::string> values(1, "");  // [0] unused: fields count from 3
  std::string field;
  while (values.size() < 21 && fields >> field) values.push_back(field);
  if (values.size() < 21) return std::nullopt;
  ProcessFacts facts;
  facts.ended = values[1] == "Z" || values[1] == "X";
  const std::optional<int64_t> ticks = ParseNumber(values[20]);
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  std::ifstream proc_stat("/proc/stat");
  std::string line;
  while (ticks && ticks_per_second > 0 && std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) != 0) continue;
    const std::optional<int64_t> boot = ParseNumber(line.substr(6));
    if (!boot) return std::nullopt;
    facts.started = *boot + *ticks / ticks_per_second;
    return facts;
  }
  return std::nullopt;
}

}  // namespace

void SetHostIdentity(const std::string& host) { HostOverride() = host; }

std::string HostIdentity() { return HostName(); }

std::string ThisWorkerId() {
  static const std::string id = HostName() + ":" + std::to_string(getpid()) + ":" + std::to_string(NowUnixSeconds());
  return id;
}

std::string NewLeaseOwner() {
  static std::atomic<uint64_t> counter{0};
  return HostName() + ":" + std::to_string(getpid()) + ":" + std::to_string(++counter) + ":" +
         std::to_string(NowUnixSeconds());
}

bool LeaseOwnerIsGone(const std::string& owner) {
  const std::vector<std::string> parts = Split(owner, ':');
  if (parts.size() != 4 || parts[0] != HostName()) return false;
  const std::optional<int64_t> pid = ParseNumber(parts[1]);
  const std::optional<int64_t> taken = ParseNumber(parts[3]);
  if (!pid || !taken || *pid <= 0) return false;
  if (*pid == getpid()) return false;  // this process: its own runs are not gone
  if (kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH) return true;
  // A process has that pid: gone if it has ended (not yet reaped), or if it
  // started after the lease was taken (the pid was reused; a second of
  // slack for the rounding of both clocks).
  const std::optional<ProcessFacts> process = ReadProcess(*pid);
  return process && (process->ended || process->started > *taken + 1);
}

}  // namespace tether::sync
