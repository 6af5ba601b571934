#include "engine/analyze/repository_run.h"

#include <algorithm>
#include <exception>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "engine/common/utf8.h"

namespace tether::analyze {
namespace {

// Every current file of the project (files and executables: a symlink's
// blob is its target, a submodule's a commit), in byte order of paths.
Result<std::vector<RepositoryFile>> CurrentFiles(Storage* storage, const ProjectRef& project) {
  std::vector<RepositoryFile> files;
  DocumentQuery query;
  query.limit = 1000;
  while (true) {
    Result<DocumentPage> page = storage->ListDocuments(project, query);
    if (!page.ok()) return page.status();
    for (const StoredDocument& d : page->documents) {
      if (SameContentKind(d.entry.kind, EntryKind::kFile)) files.push_back({d.entry.path, d.entry.blob_id, d.language});
    }
    if (!page->more || page->documents.empty()) break;
    query.after = page->documents.back().entry.path;
  }
  return files;
}

// `now` against `before` (both in byte order of paths).
std::vector<FileChange> Difference(const std::vector<RepositoryFile>& before, const std::vector<RepositoryFile>& now) {
  std::vector<FileChange> changes;
  size_t i = 0, j = 0;
  while (i < before.size() || j < now.size()) {
    if (j == now.size() || (i < before.size() && before[i].path < now[j].path)) {
      changes.push_back({FileChangeKind::kDeleted, before[i].path, before[i].blob_id, "", before[i].language});
      ++i;
    } else if (i == before.size() || now[j].path < before[i].path) {
      changes.push_back({FileChangeKind::kAdded, now[j].path, "", now[j].blob_id, now[j].language});
      ++j;
    } else {
      if (before[i].blob_id != now[j].blob_id || before[i].language != now[j].language) {
        changes.push_back({FileChangeKind::kModified, now[j].path, before[i].blob_id, now[j].blob_id, now[j].language});
      }
      ++i;
      ++j;
    }
  }
  return changes;
}

class View : public RepositoryView {
 public:
  View(const StepRun& run, std::vector<RepositoryFile> files, std::vector<FileChange> changes, bool first_run)
      : run_(run), files_(std::move(files)), changes_(std::move(changes)), first_run_(first_run) {}

  const std::string& project_name() const override { return run_.project_name; }
  const std::vector<RepositoryFile>& files() const override { return files_; }
  const std::vector<FileChange>& changes() const override { return changes_; }
  bool first_run() const override { return first_run_; }

  Result<std::vector<AnalysisResult>> Results(const std::string& analyzer_id,
                                              const std::vector<RepositoryFile>& files) const override {
    auto key = run_.needed.find(analyzer_id);
    if (key == run_.needed.end()) {
      return Status::InvalidArgument("the step reads results of \"" + analyzer_id +
                                     "\", which is not among the analyzers it says it needs");
    }
    if (files.empty()) return std::vector<AnalysisResult>();
    return run_.storage->GetAnalysisResults(run_.project, key->second, files);
  }

  Result<std::vector<RepositoryOutput>> Outputs(const std::string& prefix) const override {
    std::vector<RepositoryOutput> outputs;
    if (first_run_) return outputs;
    RepositoryOutputQuery query;
    query.analyzer_id = run_.key.id;
    query.prefix = prefix;
    query.limit = 500;
    query.with_content = true;
    while (true) {
      Result<RepositoryOutputPage> page = run_.storage->ListRepositoryOutputs(run_.project, query);
      if (!page.ok()) return page.status();
      for (StoredOutput& o : page->outputs) outputs.push_back(std::move(o.output));
      if (!page->more || page->outputs.empty()) break;
      query.after = outputs.back().name;
    }
    return outputs;
  }

  Result<RepositoryOutput> Output(const std::string& name) const override {
    if (first_run_) return Status::NotFound("no output \"" + name + "\" yet");
    Result<StoredOutput> stored = run_.storage->GetRepositoryOutput(run_.project, run_.key.id, name);
    if (!stored.ok()) return stored.status();
    return std::move(stored->output);
  }

  Result<std::string> Content(const std::string& path) const override {
    Result<StoredDocument> document = run_.storage->GetDocument(run_.project, path);
    if (!document.ok()) return document.status();
    if (!document->has_content) return Status::NotFound("\"" + path + "\" has no stored text");
    return std::move(document->content);
  }

  Result<std::vector<std::string>> MissingVectors(const std::string& space,
                                                  const std::vector<std::string>& hashes) const override {
    TETHER_RETURN_IF_ERROR(KeepsVectors());
    return run_.storage->MissingVectors(run_.project.tenant, space, hashes);
  }

  Status PutVectors(const std::string& space, const std::vector<StoredVector>& vectors) const override {
    TETHER_RETURN_IF_ERROR(KeepsVectors());
    return run_.storage->PutVectors(run_.project.tenant, space, vectors);
  }

 private:
  Status KeepsVectors() const {
    if (run_.storage_keeps_vectors) return Status::Ok();
    return Status::InvalidArgument("the project's storage keeps no vectors (it was built before SDK 3.5)");
  }

  const StepRun& run_;
  std::vector<RepositoryFile> files_;
  std::vector<FileChange> changes_;
  bool first_run_;
};

// Collects what the step makes; the last word on a name wins.
class Sink : public RepositorySink {
 public:
  Status Put(const RepositoryOutput& output) override {
    if (output.name.empty() || output.name.size() > kMaxOutputNameBytes || !IsValidUtf8(output.name) ||
        output.name.find('\0') != std::string::npos) {
      return Status::InvalidArgument("an output's name must be 1 to 4096 bytes of UTF-8 without NUL");
    }
    if (output.key.size() > kMaxOutputKeyBytes || !IsValidUtf8(output.key) || output.key.find('\0') != std::string::npos) {
      return Status::InvalidArgument("the key of output \"" + output.name +
                                     "\" must be at most 256 bytes of UTF-8 without NUL");
    }
    if (output.content.size() > kMaxOutputContentBytes || !IsValidUtf8(output.content) ||
        output.content.find('\0') != std::string::npos) {
      return Status::InvalidArgument("the content of output \"" + output.name +
                                     "\" must be at most 16 MiB of UTF-8 without NUL");
    }
    removes_.erase(output.name);
    puts_[output.name] = output;
    return Status::Ok();
  }

  Status Remove(const std::string& name) override {
    puts_.erase(name);
    removes_.insert(name);
    return Status::Ok();
  }

  void MoveInto(RepositoryCommit* commit) {
    for (auto& [name, output] : puts_) commit->puts.push_back(std::move(output));
    commit->removes.assign(removes_.begin(), removes_.end());
  }

 private:
  std::map<std::string, RepositoryOutput> puts_;
  std::set<std::string> removes_;
};

}  // namespace

AnalyzerKey StepKey(const AnalyzerKey& key, const std::map<std::string, AnalyzerKey>& needed) {
  AnalyzerKey step = key;
  for (const auto& [id, k] : needed) step.settings_hash += ";" + id + "@" + k.version + "/" + k.settings_hash;
  return step;
}

Result<StepTally> RunRepositoryStep(const StepRun& run) {
  const AnalyzerKey key = StepKey(run.key, run.needed);
  Result<RepositorySnapshot> snapshot = run.storage->ReadRepositorySnapshot(run.project, key.id);
  if (!snapshot.ok()) return snapshot.status();
  Result<std::vector<RepositoryFile>> files = CurrentFiles(run.storage, run.project);
  if (!files.ok()) return files.status();
  const bool first_run = snapshot->key.id.empty() || snapshot->key.version != key.version ||
                         snapshot->key.settings_hash != key.settings_hash;
  std::vector<FileChange> changes = Difference(first_run ? std::vector<RepositoryFile>() : snapshot->files, *files);
  StepTally tally;
  tally.changed = static_cast<int64_t>(changes.size());
  if (!first_run && changes.empty()) return tally;
  View view(run, std::move(files).value(), changes, first_run);
  Sink sink;
  Status status;
  try {
    status = run.step->Update(view, &sink);
  } catch (const std::exception& e) {
    status = Status::Internal(std::string("the repository step threw: ") + e.what());
  } catch (...) {
    status = Status::Internal("the repository step threw a non-standard exception");
  }
  if (!status.ok()) return status.WithContext("the repository step of " + run.key.id);
  RepositoryCommit commit;
  commit.key = key;
  commit.replace_all = first_run;
  commit.changes = std::move(changes);
  sink.MoveInto(&commit);
  tally.written = static_cast<int64_t>(commit.puts.size());
  tally.removed = static_cast<int64_t>(commit.removes.size());
  TETHER_RETURN_IF_ERROR(run.storage->CommitRepositoryStep(run.project, commit));
  return tally;
}

}  // namespace tether::analyze
