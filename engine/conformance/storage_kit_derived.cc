// The storage kit's checks of what is derived from documents and kept by
// content: analysis results, repository outputs, text search, tenants and
// vectors (storage_kit.h).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "engine/common/sha256.h"
#include "engine/conformance/storage_kit_checks.h"

namespace tether::conformance::storage_checks {

void StorageKit::CheckAnalysis(const ProjectRef& project) {
  if (!options_.keeps_analysis) {
    log_->Skip(kAnalysis, "the storage is built for an SDK before 3.2, without analysis results");
    return;
  }
  const AnalyzerKey key{"conformance-kit", "1", ""};
  Rows rows = SmallRows("analysis");
  if (!WriteAll(project, "", Commit("analysis 1"), rows).ok()) return;
  auto work = [&](std::vector<AnalysisWork>* all) -> Status {
    AnalysisWorkQuery query;
    query.limit = 3;
    for (int pages = 0;; ++pages) {
      if (pages == 100) {
        return Status::Internal("ListAnalysisWork gave a 100th page of 3 for 10 documents (does it skip what is "
                                "not after after_blob and after_language?)");
      }
      Result<AnalysisWorkPage> page =
          Guard("ListAnalysisWork", [&] { return storage_->ListAnalysisWork(project, key, query); });
      if (!page.ok()) return page.status();
      all->insert(all->end(), page->work.begin(), page->work.end());
      if (!page->more || page->work.empty()) return Status::Ok();
      query.after_blob = page->work.back().blob_id;
      query.after_language = page->work.back().language;
    }
  };
  std::vector<AnalysisWork> todo;
  Status status = work(&todo);
  if (!status.ok()) {
    log_->Broken(kAnalysis, "ListAnalysisWork (3 a page) of 10 new documents gave " + Described(status));
    return;
  }
  std::map<BlobId, const Row*> by_blob;
  for (const auto& [path, row] : rows) by_blob[row.entry.blob_id] = &row;
  if (todo.size() != by_blob.size()) {
    log_->Broken(kAnalysis, "ListAnalysisWork (3 a page) of 10 new documents gave " + std::to_string(todo.size()) +
                                " blobs to analyse, expected " + std::to_string(by_blob.size()));
    return;
  }
  for (const AnalysisWork& w : todo) {
    auto row = by_blob.find(w.blob_id);
    if (row == by_blob.end() || w.content != row->second->document.content) {
      log_->Broken(kAnalysis, "ListAnalysisWork gave blob " + w.blob_id + " with " + std::to_string(w.content.size()) +
                                  " bytes of content that no written document holds");
      return;
    }
  }
  status = Guard("MarkAnalysisStarted", [&] { return storage_->MarkAnalysisStarted(project, key, todo, "conformance-kit"); });
  std::vector<AnalysisResult> results;
  for (const AnalysisWork& w : todo) {
    AnalysisResult result;
    result.blob_id = w.blob_id;
    result.language = w.language;
    result.data = "{\"bytes\": " + std::to_string(w.content.size()) + "}";
    result.symbols.push_back(Symbol{"kit_symbol", "function", 1, 1, "", "", ""});
    results.push_back(result);
  }
  if (status.ok()) {
    status = Guard("PutAnalysisResults", [&] { return storage_->PutAnalysisResults(project, key, results); });
  }
  if (!status.ok()) {
    log_->Broken(kAnalysis, "marking and putting the results of 10 blobs gave " + Described(status));
    return;
  }
  // A rename keeps the result; a new blob at a path needs one again.
  Result<std::unique_ptr<StorageWriter>> writer = Begin(project, Commit("analysis 1"));
  if (!writer.ok()) return;
  const Row& moved_from = rows["small/file-0.txt"];
  Change rename;
  rename.kind = ChangeKind::kRenamed;
  rename.entry = moved_from.entry;
  rename.entry.path = "moved/file-0.txt";
  rename.old_path = "small/file-0.txt";
  const Row changed = MakeRow("small/file-1.txt", "new bytes for file 1\n");
  Change modify;
  modify.kind = ChangeKind::kModified;
  modify.entry = changed.entry;
  status = Apply(writer->get(), rename, &moved_from.document, Commit("analysis 2"));
  if (status.ok()) status = Apply(writer->get(), modify, &changed.document, Commit("analysis 2"));
  if (status.ok()) status = CommitWriter(writer->get(), Commit("analysis 2"));
  if (!status.ok()) return;
  Result<AnalysisResult> kept = Guard("GetAnalysis", [&] { return storage_->GetAnalysis(project, key, "moved/file-0.txt"); });
  Result<AnalysisResult> gone = Guard("GetAnalysis", [&] { return storage_->GetAnalysis(project, key, "small/file-0.txt"); });
  std::vector<AnalysisWork> again;
  status = work(&again);
  Result<AnalysisCounts> counts = Guard("CountAnalysis", [&] { return storage_->CountAnalysis(project, key); });
  const std::string want_data = "{\"bytes\": " + std::to_string(moved_from.document.content.size()) + "}";
  if (!kept.ok() || kept->outcome != AnalysisOutcome::kAnalyzed || kept->data != want_data || kept->symbols.size() != 1) {
    log_->Broken(kAnalysis, "GetAnalysis of a renamed document gave " +
                                (kept.ok() ? std::string(AnalysisOutcomeName(kept->outcome)) + " with data " + kept->data
                                           : Described(kept.status())) +
                                "; a rename keeps its blob's result (" + want_data + ", one symbol)");
  } else if (gone.status().code() != StatusCode::kNotFound) {
    log_->Broken(kAnalysis, "GetAnalysis of a renamed document's old path gave " + Described(gone.status()));
  } else if (!status.ok() || again.size() != 1 || again[0].blob_id != changed.entry.blob_id) {
    log_->Broken(kAnalysis, "after a rename and a modify, ListAnalysisWork gave " +
                                (status.ok() ? std::to_string(again.size()) + " blobs" : Described(status)) +
                                "; expected the modified file's new blob alone");
  } else if (!counts.ok() || counts->analyzed != 9 || counts->pending != 1) {
    log_->Broken(kAnalysis, "CountAnalysis after a rename and a modify gave " +
                                (counts.ok() ? std::to_string(counts->analyzed) + " analyzed, " +
                                                   std::to_string(counts->pending) + " pending"
                                             : Described(counts.status())) +
                                "; expected 9 analyzed, 1 pending");
  } else {
    log_->Held(kAnalysis);
  }
}

void StorageKit::CheckOutputs(const ProjectRef& project, const ProjectRef& other) {
  if (!options_.keeps_outputs) {
    log_->Skip(kOutputs, "the storage is built for an SDK before 3.3, without repository outputs");
    return;
  }
  const AnalyzerKey key{"conformance-step", "1", ""};
  auto output = [](std::string name, std::string content) { return RepositoryOutput{std::move(name), "k", std::move(content)}; };
  RepositoryCommit first;
  first.key = key;
  first.replace_all = true;
  for (int i = 0; i < 12; ++i) first.puts.push_back(output("pages/p" + std::to_string(i / 10) + std::to_string(i % 10), "page " + std::to_string(i)));
  first.puts.push_back(output("state", "{}"));
  first.changes.push_back(FileChange{FileChangeKind::kAdded, "src/a.c", "", "blob-a", "c"});
  first.changes.push_back(FileChange{FileChangeKind::kAdded, "src/b.c", "", "blob-b", "c"});
  Status status = Guard("CommitRepositoryStep", [&] { return storage_->CommitRepositoryStep(project, first); });
  RepositoryCommit theirs = first;
  theirs.puts = {output("pages/p00", "another project's page")};
  if (status.ok()) status = Guard("CommitRepositoryStep", [&] { return storage_->CommitRepositoryStep(other, theirs); });
  if (!status.ok()) {
    log_->Broken(kOutputs, "CommitRepositoryStep of a first run (13 outputs, 2 files) gave " + Described(status));
    return;
  }
  RepositoryCommit second;
  second.key = key;
  second.puts.push_back(output("pages/p03", "page 3, again"));
  second.removes.push_back("pages/p11");
  second.changes.push_back(FileChange{FileChangeKind::kModified, "src/a.c", "blob-a", "blob-a2", "c"});
  second.changes.push_back(FileChange{FileChangeKind::kDeleted, "src/b.c", "blob-b", "", "c"});
  status = Guard("CommitRepositoryStep", [&] { return storage_->CommitRepositoryStep(project, second); });
  if (!status.ok()) {
    log_->Broken(kOutputs, "CommitRepositoryStep of a second run gave " + Described(status));
    return;
  }
  // The outputs under "pages/", 5 a page, in byte order, with content.
  std::vector<std::string> got;
  RepositoryOutputQuery query;
  query.analyzer_id = key.id;
  query.prefix = "pages/";
  query.limit = 5;
  query.with_content = true;
  for (int pages = 0; pages < 100; ++pages) {
    Result<RepositoryOutputPage> page = Guard("ListRepositoryOutputs", [&] { return storage_->ListRepositoryOutputs(project, query); });
    if (!page.ok()) {
      log_->Broken(kOutputs, "ListRepositoryOutputs(prefix pages/, limit 5) gave " + Described(page.status()));
      return;
    }
    for (const StoredOutput& o : page->outputs) got.push_back(o.output.name + "=" + o.output.content);
    if (!page->more || page->outputs.empty()) break;
    query.after = page->outputs.back().output.name;
  }
  std::vector<std::string> want;
  for (int i = 0; i < 11; ++i) {
    want.push_back("pages/p" + std::to_string(i / 10) + std::to_string(i % 10) + "=" + (i == 3 ? "page 3, again" : "page " + std::to_string(i)));
  }
  Result<RepositorySnapshot> snapshot = Guard("ReadRepositorySnapshot", [&] { return storage_->ReadRepositorySnapshot(project, key.id); });
  Result<StoredOutput> state = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(project, key.id, "state"); });
  Result<StoredOutput> removed = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(project, key.id, "pages/p11"); });
  if (got != want) {
    std::string listed;
    for (const std::string& g : got) listed += (listed.empty() ? "" : ", ") + g;
    log_->Broken(kOutputs, "after two runs (one put again, one removed), paging ListRepositoryOutputs(prefix pages/, 5 a page) gave [" +
                               listed + "]; expected pages/p00 to pages/p10 in byte order, p03 put again");
  } else if (!snapshot.ok() || snapshot->key.id != key.id || snapshot->files.size() != 1 ||
             snapshot->files[0].path != "src/a.c" || snapshot->files[0].blob_id != "blob-a2") {
    log_->Broken(kOutputs, "ReadRepositorySnapshot after an add of two files, then a modify and a delete, gave " +
                               (snapshot.ok() ? std::to_string(snapshot->files.size()) + " files" : Described(snapshot.status())) +
                               "; expected src/a.c at blob-a2 alone");
  } else if (!state.ok() || state->output.content != "{}") {
    log_->Broken(kOutputs, "GetRepositoryOutput(state) gave " + (state.ok() ? state->output.content : Described(state.status())));
  } else if (removed.status().code() != StatusCode::kNotFound) {
    log_->Broken(kOutputs, "GetRepositoryOutput of a removed output gave " + Described(removed.status()) + "; expected NotFound");
  } else {
    // What the first project holds (documents) must stay too.
    const ProjectRef& first = options_.projects[0];
    CommitId first_cursor;
    Rows first_rows;
    const Status read = ReadState(first, &first_cursor, &first_rows);
    const Status deleted = Guard("DeleteProject", [&] { return storage_->DeleteProject(project); });
    std::string why;
    if (read.ok() && deleted.ok() && !Holds(first, first_cursor, first_rows, &why)) {
      log_->Broken(kDelete, "project " + std::to_string(first.id) + " after project " + std::to_string(project.id) +
                                " was deleted: " + why);
    }
    Result<StoredOutput> gone = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(project, key.id, "state"); });
    Result<StoredOutput> kept = Guard("GetRepositoryOutput", [&] { return storage_->GetRepositoryOutput(other, key.id, "pages/p00"); });
    if (!deleted.ok() || gone.status().code() != StatusCode::kNotFound) {
      log_->Broken(kOutputs, "after DeleteProject, GetRepositoryOutput(state) gave " +
                                 (deleted.ok() ? Described(gone.status()) : "nothing: DeleteProject gave " + Described(deleted)) +
                                 "; a project's outputs go with it");
    } else if (!kept.ok() || kept->output.content != "another project's page") {
      log_->Broken(kOutputs, "another project's output after DeleteProject gave " +
                                 (kept.ok() ? kept->output.content : Described(kept.status())));
    } else {
      log_->Held(kOutputs);
    }
  }
}

// One search and the hits it must give, each "path:line:matches:snippet".
struct TextCase {
  TextQuery query;
  std::vector<std::string> hits;
  bool more = false;
};

std::string HitText(const TextHit& hit) {
  return hit.path + ":" + std::to_string(hit.start_line) + ":" + std::to_string(hit.matches) + ":" + hit.snippet;
}

void StorageKit::CheckTextSearch(const ProjectRef& project) {
  if (!options_.searches_text) {
    log_->Skip(kTextSearch, "the storage is built for an SDK before 3.5, without SearchText");
    return;
  }
  Rows rows;
  for (const auto& [path, text] : std::vector<std::pair<std::string, std::string>>{
           {"a/one.txt", "alpha needle beta\nsecond line\nNEEDLE upper\n"},
           {"a/two.py", "no match here\n100% literal al_un\n"},
           {"b/three.md", "needle and needle on one line\n"},
           {"c/decoy.txt", "alkun and 100 literal, nothing else\n"}}) {
    rows[path] = MakeRow(path, text);
  }
  rows["b/bin.dat"] = MakeRow("b/bin.dat", std::string("needle\0binary", 13), EntryKind::kFile, true);
  const CommitId cursor = Commit("text search");
  if (!WriteAll(project, "", cursor, rows).ok()) return;
  auto query = [](std::string text, bool case_sensitive, std::string prefix, int limit) {
    TextQuery q;
    q.text = std::move(text);
    q.case_sensitive = case_sensitive;
    q.path_prefix = std::move(prefix);
    q.limit = limit;
    return q;
  };
  const std::vector<TextCase> cases = {
      {query("needle", false, "", 50),
       {"a/one.txt:1:1:alpha needle beta", "a/one.txt:3:1:NEEDLE upper", "b/three.md:1:2:needle and needle on one line"}},
      {query("needle", true, "", 50), {"a/one.txt:1:1:alpha needle beta", "b/three.md:1:2:needle and needle on one line"}},
      {query("al_un", false, "", 50), {"a/two.py:2:1:100% literal al_un"}},
      {query("0% l", false, "", 50), {"a/two.py:2:1:100% literal al_un"}},
      {query("needle", false, "b/", 50), {"b/three.md:1:2:needle and needle on one line"}},
      {query("needle", false, "", 1), {"a/one.txt:1:1:alpha needle beta"}, true},
  };
  auto run = [&](const char* when) -> bool {
    for (const TextCase& c : cases) {
      const std::string call = "SearchText(\"" + c.query.text + "\"" + (c.query.case_sensitive ? ", case-sensitive" : "") +
                               (c.query.path_prefix.empty() ? "" : ", under " + c.query.path_prefix) + ", limit " +
                               std::to_string(c.query.limit) + ") " + when;
      Result<TextPage> page = Guard("SearchText", [&] { return storage_->SearchText(project, c.query); });
      if (!page.ok()) {
        log_->Broken(kTextSearch, call + " gave " + Described(page.status()));
        return false;
      }
      std::vector<std::string> got;
      for (const TextHit& hit : page->hits) got.push_back(HitText(hit));
      if (got != c.hits || page->more != c.more || page->commit != cursor) {
        std::string listed;
        for (const std::string& hit : got) listed += (listed.empty() ? "" : "; ") + hit;
        std::string wanted;
        for (const std::string& hit : c.hits) wanted += (wanted.empty() ? "" : "; ") + hit;
        log_->Broken(kTextSearch, call + " gave [" + listed + "]" + (page->more ? " and more" : "") + " at \"" +
                                      page->commit + "\"; expected [" + wanted + "]" + (c.more ? " and more" : "") +
                                      " at \"" + cursor + "\" (path:line:matches:snippet)");
        return false;
      }
    }
    Result<TextPage> short_query = Guard("SearchText", [&] { return storage_->SearchText(project, query("ne", false, "", 50)); });
    if (short_query.status().code() != StatusCode::kInvalidArgument) {
      log_->Broken(kTextSearch, std::string("SearchText(\"ne\") of 2 characters ") + when + " gave " +
                                    Described(short_query.status()) + "; expected InvalidArgument");
      return false;
    }
    return true;
  };
  if (!run("after the write")) return;
  if (options_.indexes_text_later) {
    Result<int64_t> indexed = Guard("IndexText", [&] { return storage_->IndexText(project, 1000); });
    if (!indexed.ok()) {
      log_->Broken(kTextSearch, "IndexText after the write gave " + Described(indexed.status()));
      return;
    }
    if (!run("after IndexText")) return;
  }
  log_->Held(kTextSearch);
}

void StorageKit::CheckTenants(const ProjectRef& a, const ProjectRef& b, const ProjectRef& other) {
  if (!options_.keeps_analysis) {
    log_->Skip(kTenants, "the storage is built for an SDK before 3.2, without analysis results");
    return;
  }
  if (other.id == 0) {
    log_->Skip(kTenants, "no project of another tenant could be made in the kit's database" +
                             (options_.other_tenant_why.empty() ? "" : ": " + options_.other_tenant_why));
    return;
  }
  const AnalyzerKey key{"conformance-tenants", "1", ""};
  const Rows rows = SmallRows("tenants");
  for (const ProjectRef* project : {&a, &b, &other}) {
    const Status written = WriteAll(*project, "", Commit("tenants"), rows);
    if (!written.ok()) {
      log_->Broken(kTenants, "a first write of project " + std::to_string(project->id) + " (tenant " +
                                 project->tenant + ") gave " + Described(written));
      return;
    }
  }
  auto work_of = [&](const ProjectRef& project, size_t* count) -> Status {
    AnalysisWorkQuery query;
    query.limit = 100;
    Result<AnalysisWorkPage> page = Guard("ListAnalysisWork", [&] { return storage_->ListAnalysisWork(project, key, query); });
    if (!page.ok()) return page.status();
    *count = page->work.size();
    return Status::Ok();
  };
  size_t before = 0;
  Status status = work_of(a, &before);
  std::vector<AnalysisResult> results;
  for (const auto& [path, row] : rows) {
    AnalysisResult result;
    result.blob_id = row.entry.blob_id;
    result.language = row.document.language;
    result.data = "{\"tenant\": \"" + a.tenant + "\"}";
    results.push_back(result);
  }
  if (status.ok()) {
    status = Guard("PutAnalysisResults", [&] { return storage_->PutAnalysisResults(a, key, results); });
  }
  if (!status.ok()) {
    log_->Broken(kTenants, "storing results through project " + std::to_string(a.id) + " gave " + Described(status));
    return;
  }
  size_t same_tenant = 0;
  size_t other_tenant = 0;
  status = work_of(b, &same_tenant);
  if (status.ok()) status = work_of(other, &other_tenant);
  if (!status.ok()) {
    log_->Broken(kTenants, "ListAnalysisWork after the results were stored gave " + Described(status));
    return;
  }
  if (same_tenant != 0) {
    log_->Broken(kTenants, "project " + std::to_string(b.id) + " of tenant " + b.tenant + " holds the same " +
                               std::to_string(rows.size()) + " blobs as project " + std::to_string(a.id) +
                               ", whose results were stored, yet ListAnalysisWork still gives " +
                               std::to_string(same_tenant) + " of them: results are not shared within a tenant");
    return;
  }
  if (other_tenant != rows.size()) {
    log_->Broken(kTenants, "ListAnalysisWork of project " + std::to_string(other.id) + " of another tenant (" +
                               other.tenant + ") gave " + std::to_string(other_tenant) + " blobs to analyse, expected all " +
                               std::to_string(rows.size()) + ": tenant " + a.tenant + "'s results reach it");
    return;
  }
  const std::string path = rows.begin()->first;
  Result<AnalysisResult> seen = Guard("GetAnalysis", [&] { return storage_->GetAnalysis(other, key, path); });
  if (seen.status().code() != StatusCode::kNotFound) {
    log_->Broken(kTenants, "GetAnalysis(" + ShownPath(path) + ") in project " + std::to_string(other.id) +
                               " of another tenant gave " +
                               (seen.ok() ? "tenant " + a.tenant + "'s result" : Described(seen.status())) +
                               "; expected NotFound");
    return;
  }
  log_->Held(kTenants);
}

void StorageKit::CheckVectors(const std::string& tenant, const std::string& other_tenant) {
  if (!options_.searches_text) {
    log_->Skip(kVectors, "the storage is built for an SDK before 3.5, without vectors");
    return;
  }
  if (!options_.own_database) {
    log_->Skip(kVectors, "no storage call removes a vector: the kit stores them only in a database of its own "
                         "(without --database)");
    return;
  }
  const std::string space = "conformance-kit/v1";
  const std::string h1 = Sha256Hex("one"), h2 = Sha256Hex("two"), h3 = Sha256Hex("three"), h4 = Sha256Hex("four");
  const std::vector<float> v1 = {1.0f, -2.5f, 3.0e-7f}, v2 = {0.5f, 0.25f, -1.0f};
  auto missing = [&](const std::string& who, const std::vector<std::string>& hashes,
                     const std::vector<std::string>& expected, const std::string& when) -> bool {
    Result<std::vector<std::string>> got =
        Guard("MissingVectors", [&] { return storage_->MissingVectors(who, space, hashes); });
    if (got.ok() && *got == expected) return true;
    log_->Broken(kVectors, "MissingVectors of " + std::to_string(hashes.size()) + " hashes " + when + " gave " +
                               (got.ok() ? std::to_string(got->size()) + " of them" : Described(got.status())) +
                               ", expected " + std::to_string(expected.size()) + ", in the order asked");
    return false;
  };
  auto put = [&](const std::vector<StoredVector>& vectors) {
    return Guard("PutVectors", [&] { return storage_->PutVectors(tenant, space, vectors); });
  };
  if (!missing(tenant, {h1, h2, h3}, {h1, h2, h3}, "before any was stored")) return;
  Status status = put({{h1, v1}, {h2, v2}});
  if (!status.ok()) {
    log_->Broken(kVectors, "PutVectors of two vectors of 3 dimensions gave " + Described(status));
    return;
  }
  if (!missing(tenant, {h3, h2, h1}, {h3}, "after two of them were stored")) return;
  auto read_back = [&](const std::string& when) -> bool {
    Result<std::vector<StoredVector>> got =
        Guard("GetVectors", [&] { return storage_->GetVectors(tenant, space, {h2, h3, h1}); });
    if (got.ok() && got->size() == 2 && (*got)[0].hash == h2 && (*got)[0].values == v2 && (*got)[1].hash == h1 &&
        (*got)[1].values == v1) {
      return true;
    }
    log_->Broken(kVectors, "GetVectors of (two, three, one) " + when + " gave " +
                               (got.ok() ? std::to_string(got->size()) + " vectors" : Described(got.status())) +
                               "; expected two and one in that order, each exactly as stored, three left out");
    return false;
  };
  if (!read_back("after they were stored")) return;
  status = put({{h1, {9.0f, 9.0f, 9.0f}}});
  if (!status.ok()) {
    log_->Broken(kVectors, "PutVectors of a hash already stored gave " + Described(status) +
                               "; expected OK, the stored vector kept");
    return;
  }
  if (!read_back("after one was put again with other values")) return;
  const std::pair<std::vector<StoredVector>, std::string> bad[] = {
      {{{h3, v1}, {h4, {1.0f, 2.0f}}}, "a batch whose second vector has 2 dimensions where the space has 3"},
      {{{h3, v1}, {h4, {1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f}}}, "a batch with a NaN"},
      {{{h3, v1}, {h4, {}}}, "a batch with an empty vector"},
      {{{h3, v1}, {"not-a-hash", v1}}, "a batch with a hash that is not 64 hex digits"},
  };
  for (const auto& [vectors, what] : bad) {
    status = put(vectors);
    if (status.code() != StatusCode::kInvalidArgument) {
      log_->Broken(kVectors, "PutVectors of " + what + " gave " + Described(status) + "; expected InvalidArgument");
      return;
    }
    if (!missing(tenant, {h3, h4}, {h3, h4}, "after PutVectors refused " + what)) return;
  }
  status = Guard("PutVectors", [&] { return storage_->PutVectors(tenant, "a space", {{h3, v1}}); });
  if (status.code() != StatusCode::kInvalidArgument) {
    log_->Broken(kVectors, "PutVectors in the space \"a space\" gave " + Described(status) + "; expected InvalidArgument");
    return;
  }
  if (!other_tenant.empty()) {
    if (!missing(other_tenant, {h1, h2}, {h1, h2}, "of another tenant")) return;
    Result<std::vector<StoredVector>> got =
        Guard("GetVectors", [&] { return storage_->GetVectors(other_tenant, space, {h1, h2}); });
    if (!got.ok() || !got->empty()) {
      log_->Broken(kVectors, "GetVectors of another tenant gave " +
                                 (got.ok() ? std::to_string(got->size()) + " vectors of tenant " + tenant
                                           : Described(got.status())) +
                                 "; expected none");
      return;
    }
  }
  log_->Held(kVectors);
}

}  // namespace tether::conformance::storage_checks
