#include "engine/conformance/step_kit.h"

#include <algorithm>
#include <set>

#include "engine/analyze/analysis_sink.h"
#include "engine/common/sha256.h"
#include "engine/common/utf8.h"
#include "engine/sync/content_rules.h"

namespace tether::conformance {

namespace {

constexpr char kStepOutputs[] = "step-outputs";
constexpr char kStepDeterministic[] = "step-deterministic";
constexpr char kStepIncremental[] = "step-incremental";

using Files = std::map<std::string, std::string>;  // path -> content
using OutputMap = std::map<std::string, RepositoryOutput>;  // by name

Files FirstFiles() {
  return Files{
      {"README.md", "# kit\n\nA small repository of the conformance kit's.\n\n- `src/add.c` adds\n"},
      {"src/add.c", "/* Adds two numbers. */\nint add(int a, int b) { return a + b; }\n"},
      {"src/add.h", "#pragma once\nint add(int a, int b);\n"},
      {"src/main.c", "#include \"add.h\"\nint main(void) { return add(1, 2); }\n"},
      {"src/shape.cpp", "namespace geo {\n// A shape.\nclass Shape {\n public:\n  virtual double Area() const = 0;\n};\n}\n"},
      {"lib/stack.py", "\"\"\"A stack.\"\"\"\n\n\nclass Stack:\n    def push(self, item):\n        pass\n"},
      {"web/greet.js", "export function greet(name) {\n  return `hello ${name}`;\n}\n"},
      {"cmd/main.go", "package main\n\n// Point is a point.\ntype Point struct{ X, Y int }\n\nfunc main() {}\n"},
      {"src/point.rs", "/// A point.\npub struct Point { x: i32 }\n\nfn main() {}\n"},
      {"docs/guide/usage.md", "# Usage\n\nCall `add`.\n"},
  };
}

// Every kind of change from FirstFiles.
Files SecondFiles() {
  Files files = FirstFiles();
  files["src/add.c"] = "/* Adds two numbers, and a third. */\nint add(int a, int b) { return a + b; }\n"
                       "int add3(int a, int b, int c) { return a + b + c; }\n";
  files.erase("lib/stack.py");
  files["src/sub.c"] = "/* Subtracts. */\nint sub(int a, int b) { return a - b; }\n";
  files["web/hello.js"] = files["web/greet.js"];
  files.erase("web/greet.js");
  files["README.md"] = "# kit\n\nRewritten: see `src/sub.c` too.\n";
  return files;
}

std::string BlobOf(const std::string& content) { return "sha256:" + Sha256Hex(content); }

std::vector<RepositoryFile> ListOf(const Files& files) {
  std::vector<RepositoryFile> out;
  for (const auto& [path, content] : files) out.push_back({path, BlobOf(content), sync::DetectLanguage(path)});
  return out;  // a map: in byte order of the paths
}

std::vector<FileChange> ChangesOf(const Files& before, const Files& after) {
  std::set<std::string> paths;
  for (const auto& [path, unused] : before) paths.insert(path);
  for (const auto& [path, unused] : after) paths.insert(path);
  std::vector<FileChange> changes;
  for (const std::string& path : paths) {
    auto was = before.find(path);
    auto is = after.find(path);
    FileChange change;
    change.path = path;
    change.language = sync::DetectLanguage(path);
    if (was == before.end()) {
      change.kind = FileChangeKind::kAdded;
      change.new_blob = BlobOf(is->second);
    } else if (is == after.end()) {
      change.kind = FileChangeKind::kDeleted;
      change.old_blob = BlobOf(was->second);
    } else if (was->second != is->second) {
      change.kind = FileChangeKind::kModified;
      change.old_blob = BlobOf(was->second);
      change.new_blob = BlobOf(is->second);
    } else {
      continue;
    }
    changes.push_back(std::move(change));
  }
  return changes;
}

// The engine's side of one run.
class KitView final : public RepositoryView {
 public:
  KitView(const Files& files, const std::vector<FileChange>& changes, bool first_run, const OutputMap& previous,
          const StepKitOptions& options, const std::set<std::string>& needs, ContractLog* log,
          std::map<std::string, std::map<std::string, std::vector<float>>>* vectors)
      : files_(files), list_(ListOf(files)), changes_(changes), first_run_(first_run), previous_(previous),
        options_(options), needs_(needs), log_(log), vectors_(vectors) {}

  const std::string& project_name() const override { return name_; }
  const std::vector<RepositoryFile>& files() const override { return list_; }
  const std::vector<FileChange>& changes() const override { return changes_; }
  bool first_run() const override { return first_run_; }

  Result<std::vector<AnalysisResult>> Results(const std::string& analyzer_id,
                                              const std::vector<RepositoryFile>& files) const override {
    if (needs_.count(analyzer_id) == 0) {
      return Status::InvalidArgument("the step asked for results of '" + analyzer_id + "', which Needs() does not name");
    }
    auto analyzer = options_.needed.find(analyzer_id);
    std::vector<AnalysisResult> out;
    for (const RepositoryFile& file : files) {
      AnalysisResult result;
      result.blob_id = file.blob_id;
      result.language = file.language;
      result.outcome = AnalysisOutcome::kFailed;
      result.reason = "no result";
      auto content = files_.find(file.path);
      if (analyzer != options_.needed.end() && content != files_.end() && BlobOf(content->second) == file.blob_id) {
        AnalysisInput input;
        input.blob_id = file.blob_id;
        input.content = content->second;
        input.language = file.language;
        input.path = file.path;
        analyze::ResultSink sink;
        const Status analyzed = Guarded(log_, "Analyze of " + file.path + " by " + analyzer_id,
                                        [&] { return analyzer->second->Analyze(input, &sink); });
        if (analyzed.ok()) result = sink.Take();
        result.blob_id = file.blob_id;
        result.language = file.language;
      }
      out.push_back(std::move(result));
    }
    return out;
  }

  Result<std::vector<RepositoryOutput>> Outputs(const std::string& prefix) const override {
    std::vector<RepositoryOutput> out;
    for (const auto& [name, output] : previous_) {
      if (name.compare(0, prefix.size(), prefix) == 0) out.push_back(output);
    }
    return out;
  }
  Result<RepositoryOutput> Output(const std::string& name) const override {
    auto found = previous_.find(name);
    if (found == previous_.end()) return Status::NotFound("no output " + name);
    return found->second;
  }
  Result<std::string> Content(const std::string& path) const override {
    auto found = files_.find(path);
    if (found == files_.end()) return Status::NotFound("no file " + path);
    return found->second;
  }
  Result<std::vector<std::string>> MissingVectors(const std::string& space,
                                                  const std::vector<std::string>& hashes) const override {
    std::vector<std::string> missing;
    for (const std::string& hash : hashes) {
      if ((*vectors_)[space].count(hash) == 0) missing.push_back(hash);
    }
    return missing;
  }
  Status PutVectors(const std::string& space, const std::vector<StoredVector>& vectors) const override {
    for (const StoredVector& vector : vectors) (*vectors_)[space].emplace(vector.hash, vector.values);
    return Status::Ok();
  }

 private:
  const std::string name_ = "conformance-kit";
  const Files& files_;
  const std::vector<RepositoryFile> list_;
  const std::vector<FileChange>& changes_;
  const bool first_run_;
  const OutputMap& previous_;
  const StepKitOptions& options_;
  const std::set<std::string>& needs_;
  ContractLog* log_;
  std::map<std::string, std::map<std::string, std::vector<float>>>* vectors_;
};

// Keeps what Update puts and removes, checking each output's limits.
class KitSink final : public RepositorySink {
 public:
  explicit KitSink(OutputMap outputs) : outputs_(std::move(outputs)) {}
  Status Put(const RepositoryOutput& output) override {
    std::string why;
    if (output.name.empty() || output.name.size() > kMaxOutputNameBytes) why = "a name of 1 to 4096 bytes";
    if (!IsValidUtf8(output.name) || output.name.find('\0') != std::string::npos) why = "a name of UTF-8 without NUL";
    if (output.key.size() > kMaxOutputKeyBytes) why = "a key of at most 256 bytes";
    if (output.content.size() > kMaxOutputContentBytes) why = "content of at most 16 MiB";
    if (!IsValidUtf8(output.content) || output.content.find('\0') != std::string::npos) {
      why = "content of UTF-8 without NUL";
    }
    if (!why.empty()) {
      if (refused_.empty()) refused_ = "Put of the output \"" + ShownPath(output.name.substr(0, 200)) + "\" needs " + why;
      return Status::InvalidArgument(refused_);
    }
    outputs_[output.name] = output;
    return Status::Ok();
  }
  Status Remove(const std::string& name) override {
    outputs_.erase(name);
    return Status::Ok();
  }
  const OutputMap& outputs() const { return outputs_; }
  const std::string& refused() const { return refused_; }

 private:
  OutputMap outputs_;
  std::string refused_;
};

// The first difference between two sets of outputs, or "".
std::string Difference(const OutputMap& a, const std::string& a_name, const OutputMap& b, const std::string& b_name) {
  for (const auto& [name, output] : a) {
    auto other = b.find(name);
    if (other == b.end()) return "\"" + ShownPath(name) + "\" is in " + a_name + " but not in " + b_name;
    if (other->second.key != output.key) {
      return "\"" + ShownPath(name) + "\" has the key \"" + output.key + "\" in " + a_name + " and \"" +
             other->second.key + "\" in " + b_name;
    }
    if (other->second.content != output.content) {
      return "\"" + ShownPath(name) + "\" has " + std::to_string(output.content.size()) + " bytes in " + a_name +
             " and " + std::to_string(other->second.content.size()) + " other bytes in " + b_name;
    }
  }
  for (const auto& [name, unused] : b) {
    if (a.count(name) == 0) return "\"" + ShownPath(name) + "\" is in " + b_name + " but not in " + a_name;
  }
  return "";
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& StepContracts() {
  static const std::vector<std::pair<std::string, std::string>> kContracts = {
      {kStepOutputs, "The repository step's Update returns OK over the kit's files, every output within "
                     "RepositoryOutput's limits"},
      {kStepDeterministic, "Two first runs over the same files make the same outputs"},
      {kStepIncremental, "A run from a change set leaves exactly what a first run over the new files makes"},
  };
  return kContracts;
}

void SkipStep(ContractLog* log, const std::string& why) {
  for (const auto& [id, unused] : StepContracts()) log->Skip(id, why);
}

void CheckStep(RepositoryStep* step, const StepKitOptions& options, ContractLog* log) {
  std::set<std::string> needs;
  const Status asked = Guarded(log, "Needs", [&]() -> Status {
    for (const std::string& id : step->Needs()) needs.insert(id);
    return Status::Ok();
  });
  if (!asked.ok()) {
    SkipStep(log, "Needs() failed: " + asked.ToString());
    return;
  }
  std::map<std::string, std::map<std::string, std::vector<float>>> vectors;
  // One run: from `previous` outputs over `files`; *out the outputs after.
  auto run = [&](const Files& files, const std::vector<FileChange>& changes, bool first, const OutputMap& previous,
                 const std::string& what, OutputMap* out) -> bool {
    KitView view(files, changes, first, previous, options, needs, log, &vectors);
    KitSink sink(previous);
    const Status status = Guarded(log, "Update (" + what + ")", [&] { return step->Update(view, &sink); });
    if (!sink.refused().empty()) {
      log->Broken(kStepOutputs, "Update (" + what + "): " + sink.refused());
      return false;
    }
    if (!status.ok()) {
      log->Broken(kStepOutputs, "Update (" + what + ") gave " + status.ToString());
      return false;
    }
    log->Held(kStepOutputs);
    *out = sink.outputs();
    return true;
  };
  const Files first = FirstFiles();
  const Files second = SecondFiles();
  std::vector<FileChange> all_added = ChangesOf({}, first);
  OutputMap one, again;
  if (!run(first, all_added, true, {}, "a first run", &one) ||
      !run(first, all_added, true, {}, "a first run again", &again)) {
    log->Skip(kStepDeterministic, "Update failed");
    log->Skip(kStepIncremental, "Update failed");
    return;
  }
  const std::string changed = Difference(one, "the first run's outputs", again, "the second's");
  if (!changed.empty()) {
    log->Broken(kStepDeterministic, "two first runs over the same " + std::to_string(first.size()) + " files: " + changed);
  } else if (one.empty()) {
    log->Broken(kStepOutputs, "a first run over " + std::to_string(first.size()) + " files made no output");
  } else {
    log->Held(kStepDeterministic);
  }
  OutputMap incremental, full;
  if (!run(second, ChangesOf(first, second), false, one, "a run from a change set", &incremental) ||
      !run(second, ChangesOf({}, second), true, {}, "a first run over the new files", &full)) {
    log->Skip(kStepIncremental, "Update failed");
    return;
  }
  const std::string differs = Difference(incremental, "the outputs after the change set", full,
                                         "those of a first run over the new files");
  if (!differs.empty()) {
    log->Broken(kStepIncremental, "after a file edited, one deleted, one added, one renamed and the README "
                                  "rewritten: " + differs);
  } else {
    log->Held(kStepIncremental);
  }
}

}  // namespace tether::conformance
