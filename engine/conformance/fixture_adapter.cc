#include "engine/conformance/fixture_adapter.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "engine/conformance/report.h"
#include "shared/child_process.h"

namespace tether::conformance {

namespace fs = std::filesystem;

namespace {

constexpr auto kCallTimeout = std::chrono::seconds(120);
constexpr int kExitUnsupported = 3;

// The last `max` bytes of `text`, trimmed, for an error message.
std::string Tail(std::string text, size_t max = 600) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > max) text = "..." + text.substr(text.size() - max);
  return text;
}

std::string CommandLine(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& arg : args) {
    if (!line.empty()) line += ' ';
    line += ShownPath(arg);
  }
  return line;
}

}  // namespace

Status WriteTree(const FixtureTree& tree, const fs::path& dir) {
  std::error_code error;
  if (!fs::create_directories(dir, error) || error) {
    return Status::Internal("cannot make the tree folder " + dir.string() + ": " + error.message());
  }
  for (const auto& [path, file] : tree) {
    const fs::path target = dir / fs::path(path);
    fs::create_directories(target.parent_path(), error);
    if (error) return Status::Internal("cannot make " + target.parent_path().string() + ": " + error.message());
    if (file.kind == EntryKind::kSymlink) {
      fs::create_symlink(fs::path(file.bytes), target, error);
      if (error) return Status::Internal("cannot make the symlink " + target.string() + ": " + error.message());
      continue;
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(file.bytes.data(), static_cast<std::streamsize>(file.bytes.size()));
    out.close();
    if (!out) return Status::Internal("cannot write " + target.string());
    const mode_t mode = file.kind == EntryKind::kExecutable ? 0755 : 0644;
    if (::chmod(target.c_str(), mode) != 0) return Status::Internal("cannot chmod " + target.string());
  }
  return Status::Ok();
}

FixtureAdapter::FixtureAdapter(std::string command, fs::path work)
    : command_(std::move(command)), work_(std::move(work)) {}

Result<FixtureAdapter::Source> FixtureAdapter::Init() {
  std::error_code error;
  fs::create_directories(work_ / "source", error);
  if (error) return Status::Internal("cannot make " + (work_ / "source").string() + ": " + error.message());
  std::string out;
  Result<Outcome> ran = Run({"init", (work_ / "source").string()}, &out);
  if (!ran.ok()) return ran.status();
  if (*ran == Outcome::kUnsupported) {
    return Status::InvalidArgument("the fixture adapter cannot make a source (init exited 3): " + unsupported_reason_);
  }
  Source source;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("url=", 0) == 0) source.url = line.substr(4);
    if (line == "history=no") source.history = false;
  }
  if (source.url.empty()) {
    return Status::InvalidArgument("the fixture adapter's init printed no \"url=...\" line (it printed: " +
                                   Tail(out) + ")");
  }
  return source;
}

Result<FixtureAdapter::Outcome> FixtureAdapter::Commit(const std::string& branch, const FixtureTree& tree) {
  return WithTree("commit", branch, tree);
}

Result<FixtureAdapter::Outcome> FixtureAdapter::Force(const std::string& branch, const FixtureTree& tree) {
  return WithTree("force", branch, tree);
}

Result<FixtureAdapter::Outcome> FixtureAdapter::DeleteBranch(const std::string& branch) {
  std::string out;
  return Run({"delete-branch", (work_ / "source").string(), branch}, &out);
}

Result<FixtureAdapter::Outcome> FixtureAdapter::WithTree(const char* verb, const std::string& branch,
                                                         const FixtureTree& tree) {
  const fs::path dir = work_ / ("tree-" + std::to_string(++trees_));
  TETHER_RETURN_IF_ERROR(WriteTree(tree, dir));
  std::string out;
  return Run({verb, (work_ / "source").string(), branch, dir.string()}, &out);
}

Result<FixtureAdapter::Outcome> FixtureAdapter::Run(const std::vector<std::string>& args, std::string* out) {
  shared::ChildCommand command;
  command.argv.push_back(command_);
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.timeout = kCallTimeout;
  Result<shared::ChildOutcome> ran = shared::RunChild(command);
  if (!ran.ok()) return Status::InvalidArgument("cannot run the fixture adapter: " + ran.status().message());
  *out = ran->out;
  const std::string& err = ran->err;
  if (ran->ok()) return Outcome::kDone;
  if (!ran->timed_out && ran->exit_code == kExitUnsupported) {
    unsupported_reason_ = Tail(err.empty() ? *out : err, 300);
    if (unsupported_reason_.empty()) unsupported_reason_ = "(the adapter gave no reason)";
    return Outcome::kUnsupported;
  }
  return Status::InvalidArgument("the fixture adapter " + ran->How(command) + " on `" +
                                 CommandLine(command.argv) + "`: " + Tail(err.empty() ? *out : err));
}

}  // namespace tether::conformance
