#include "docs_step.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "pages.h"
#include "repo_map.h"
#include "shared/docs_paths.h"

namespace tether::docs {
namespace {

constexpr char kStatePrefix[] = "state:";
constexpr char kMap[] = "map";
constexpr char kReadme[] = "readme";
constexpr size_t kMapFiles = 15;
constexpr const char* kReadmeNames[] = {"README.md", "README", "readme.md", "Readme.md", "README.markdown",
                                        "README.txt"};

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// The directories holding `path`, innermost first, the root ("") last.
std::vector<std::string> Ancestors(const std::string& path) {
  std::vector<std::string> dirs;
  std::string dir = DirOf(path);
  while (!dir.empty()) {
    dirs.push_back(dir);
    dir = DirOf(dir);
  }
  dirs.push_back("");
  return dirs;
}

std::string Output(std::string_view prefix, std::string_view rest) { return std::string(prefix) + std::string(rest); }

// Two FNV-1a digests with different offsets: 128 bits, enough to tell a
// changed tree or page from an unchanged one (not a defence against a
// chosen collision, which would only keep a page from being redone).
class Digest {
 public:
  Digest& Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      a_ = (a_ ^ c) * kPrime;
      b_ = (b_ ^ c) * kPrime;
    }
    a_ = (a_ ^ 0xFF) * kPrime;  // a separator no UTF-8 text holds
    b_ = (b_ ^ 0xFF) * kPrime;
    return *this;
  }
  std::string Hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (uint64_t v : {a_, b_}) {
      for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(v >> shift) & 0xF];
    }
    return out;
  }

 private:
  static constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t a_ = 14695981039346656037ULL;
  uint64_t b_ = 0x84222325cbf29ce4ULL;
};

// The tree id of every directory holding files: a digest of its files'
// names, blobs and languages and of its subdirectories' names and ids.
std::map<std::string, std::string> TreeIds(const std::vector<RepositoryFile>& files) {
  std::map<std::string, std::vector<const RepositoryFile*>> direct;
  std::map<std::string, std::set<std::string>> children;
  for (const RepositoryFile& f : files) {
    direct[DirOf(f.path)].push_back(&f);
    std::string dir = DirOf(f.path);
    while (!dir.empty()) {
      const std::string parent = DirOf(dir);
      children[parent].insert(dir);
      direct[parent];
      dir = parent;
    }
  }
  std::vector<std::string> dirs;
  for (const auto& [dir, unused] : direct) dirs.push_back(dir);
  // Deepest first, so that every child's id is known before its parent's.
  std::stable_sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') + !a.empty() > std::count(b.begin(), b.end(), '/') + !b.empty();
  });
  std::map<std::string, std::string> ids;
  for (const std::string& dir : dirs) {
    Digest digest;
    for (const RepositoryFile* f : direct[dir]) digest.Add("f").Add(f->path).Add(f->blob_id).Add(f->language);
    for (const std::string& child : children[dir]) digest.Add("d").Add(child).Add(ids[child]);
    ids[dir] = digest.Hex();
  }
  return ids;
}

std::string PageKey(const RepositoryFile& file, const std::vector<std::vector<std::string>>& resolved) {
  Digest digest;
  digest.Add(file.blob_id).Add(file.language);
  for (const std::vector<std::string>& targets : resolved) {
    digest.Add("i");
    for (const std::string& t : targets) digest.Add(t);
  }
  return digest.Hex();
}

// What the step remembers of a file between runs.
struct FileState {
  FileFacts facts;  // without symbols
  std::string blob;
  std::vector<std::vector<std::string>> resolved;
};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteString(Writer* w, const std::string& s) { w->String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::string StateJson(const std::vector<const FileState*>& files) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("files");
  w.StartArray();
  for (const FileState* s : files) {
    const FileFacts& f = s->facts;
    w.StartObject();
    w.Key("path"), WriteString(&w, f.path);
    w.Key("blob"), WriteString(&w, s->blob);
    w.Key("language"), WriteString(&w, f.language);
    w.Key("analysed"), w.Bool(f.analysed);
    w.Key("outcome"), WriteString(&w, f.outcome);
    w.Key("reason"), WriteString(&w, f.reason);
    w.Key("lines"), w.StartArray(), w.Int64(f.code), w.Int64(f.comment), w.Int64(f.blank), w.EndArray();
    w.Key("symbols"), w.Int64(f.symbol_count);
    w.Key("summary"), WriteString(&w, f.summary);
    w.Key("imports"), w.StartArray();
    for (const std::string& i : f.imports) WriteString(&w, i);
    w.EndArray();
    w.Key("resolved"), w.StartArray();
    for (const std::vector<std::string>& targets : s->resolved) {
      w.StartArray();
      for (const std::string& t : targets) WriteString(&w, t);
      w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Str(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

std::vector<std::string> Strings(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  for (const rapidjson::Value& s : v.GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

// Adds the files of a state output to `into`. InvalidArgument when it is
// not one this step wrote.
Status ParseState(const RepositoryOutput& output, std::map<std::string, FileState>* into) {
  rapidjson::Document doc;
  doc.Parse(output.content.c_str(), output.content.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("files") || !doc["files"].IsArray()) {
    return Status::InvalidArgument("the docs state \"" + output.name + "\" is not one this analyzer wrote");
  }
  for (const rapidjson::Value& v : doc["files"].GetArray()) {
    if (!v.IsObject()) continue;
    FileState s;
    FileFacts& f = s.facts;
    f.path = Str(v, "path");
    s.blob = Str(v, "blob");
    f.language = Str(v, "language");
    f.analysed = v.HasMember("analysed") && v["analysed"].IsBool() && v["analysed"].GetBool();
    f.outcome = Str(v, "outcome");
    f.reason = Str(v, "reason");
    if (v.HasMember("lines") && v["lines"].IsArray() && v["lines"].Size() == 3) {
      const rapidjson::Value& lines = v["lines"];
      if (lines[0].IsInt64() && lines[1].IsInt64() && lines[2].IsInt64()) {
        f.code = lines[0].GetInt64(), f.comment = lines[1].GetInt64(), f.blank = lines[2].GetInt64();
      }
    }
    f.symbol_count = v.HasMember("symbols") && v["symbols"].IsInt64() ? v["symbols"].GetInt64() : 0;
    f.summary = Str(v, "summary");
    if (v.HasMember("imports")) f.imports = Strings(v["imports"]);
    if (v.HasMember("resolved") && v["resolved"].IsArray()) {
      for (const rapidjson::Value& targets : v["resolved"].GetArray()) s.resolved.push_back(Strings(targets));
    }
    if (!f.path.empty()) (*into)[f.path] = std::move(s);
  }
  return Status::Ok();
}

struct MapState {
  std::vector<std::pair<std::string, int64_t>> entries;  // path, importers
  std::string markdown;
};

std::string MapJson(const MapState& map) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("entries"), w.StartArray();
  for (const auto& [path, importers] : map.entries) {
    w.StartArray(), WriteString(&w, path), w.Int64(importers), w.EndArray();
  }
  w.EndArray();
  w.Key("markdown"), WriteString(&w, map.markdown);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool ParseMap(const std::string& json, MapState* map) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("entries") || !doc["entries"].IsArray()) return false;
  for (const rapidjson::Value& e : doc["entries"].GetArray()) {
    if (!e.IsArray() || e.Size() != 2 || !e[0].IsString() || !e[1].IsInt64()) return false;
    map->entries.emplace_back(std::string(e[0].GetString(), e[0].GetStringLength()), e[1].GetInt64());
  }
  map->markdown = Str(doc, "markdown");
  return true;
}

// One run of the step; see docs_step.h.
class Run {
 public:
  Run(const RepositoryView& view, RepositorySink* sink, const std::string& code_id)
      : view_(view), sink_(sink), code_id_(code_id) {
    std::vector<std::string> paths;
    for (const RepositoryFile& f : view.files()) {
      paths.push_back(f.path);
      by_path_[f.path] = &f;
    }
    paths_ = std::make_unique<PathIndex>(std::move(paths));
  }

  Status Go() {
    bool relink = view_.first_run();
    std::set<std::string> touched;  // directories whose tree changed
    for (const FileChange& c : view_.changes()) {
      if (c.kind != FileChangeKind::kModified) relink = true;
      for (const std::string& dir : Ancestors(c.path)) touched.insert(dir);
    }
    if (relink) {
      TETHER_RETURN_IF_ERROR(LoadAll());
    } else {
      for (const std::string& dir : touched) TETHER_RETURN_IF_ERROR(LoadDir(dir));
    }
    std::set<std::string> dirty = touched;  // directories whose state is rewritten
    bool imports_changed = relink;
    std::set<std::string> changed_paths;
    std::vector<RepositoryFile> fresh;
    for (const FileChange& c : view_.changes()) {
      changed_paths.insert(c.path);
      if (c.kind == FileChangeKind::kDeleted) {
        state_.erase(c.path);
        TETHER_RETURN_IF_ERROR(sink_->Remove(Output(kDocsPages, FilePagePath(c.path))));
        continue;
      }
      fresh.push_back({c.path, c.new_blob, c.language});
    }
    TETHER_RETURN_IF_ERROR(WritePages(fresh, /*recompute_links=*/true, &imports_changed));
    if (relink) {
      // An added or deleted path may change what other files' imports name.
      std::vector<RepositoryFile> relinked;
      for (auto& [path, s] : state_) {
        if (changed_paths.count(path) != 0) continue;
        std::vector<std::vector<std::string>> resolved = Resolve(s.facts);
        if (resolved == s.resolved) continue;
        s.resolved = std::move(resolved);
        dirty.insert(DirOf(path));
        relinked.push_back({path, s.blob, by_path_.count(path) ? by_path_[path]->language : s.facts.language});
      }
      TETHER_RETURN_IF_ERROR(WritePages(relinked, /*recompute_links=*/false, nullptr));
    }
    if (imports_changed) TETHER_RETURN_IF_ERROR(LoadAll());
    TETHER_RETURN_IF_ERROR(UpdateMap(imports_changed, changed_paths));
    TETHER_RETURN_IF_ERROR(UpdateReadme());
    return WriteDirectories(touched, dirty);
  }

 private:
  std::vector<std::vector<std::string>> Resolve(const FileFacts& f) const {
    if (f.imports.empty()) return {};
    return ResolveImports(FileImports{f.path, f.language, f.imports}, *paths_);
  }

  Status LoadDir(const std::string& dir) {
    if (all_loaded_ || !loaded_.insert(dir).second) return Status::Ok();
    Result<RepositoryOutput> output = view_.Output(Output(kStatePrefix, dir));
    if (!output.ok()) return output.status().code() == StatusCode::kNotFound ? Status::Ok() : output.status();
    return ParseState(*output, &state_);
  }

  // Every directory's state not loaded yet (what this run changed stays).
  Status LoadAll() {
    if (all_loaded_) return Status::Ok();
    Result<std::vector<RepositoryOutput>> outputs = view_.Outputs(kStatePrefix);
    if (!outputs.ok()) return outputs.status();
    for (const RepositoryOutput& o : *outputs) {
      const std::string dir = o.name.substr(sizeof(kStatePrefix) - 1);
      if (!loaded_.insert(dir).second) continue;
      std::map<std::string, FileState> files;
      TETHER_RETURN_IF_ERROR(ParseState(o, &files));
      for (auto& [path, s] : files) {
        if (by_path_.count(path) != 0 && state_.count(path) == 0) state_[path] = std::move(s);
      }
    }
    all_loaded_ = true;
    return Status::Ok();
  }

  // The pages of `files` from their code results; their state replaced.
  // With `recompute_links`, imports are resolved again and
  // `imports_changed` told whether any differ from the state's.
  Status WritePages(const std::vector<RepositoryFile>& files, bool recompute_links, bool* imports_changed) {
    if (files.empty()) return Status::Ok();
    Result<std::vector<AnalysisResult>> results = view_.Results(code_id_, files);
    if (!results.ok()) return results.status();
    for (size_t i = 0; i < files.size(); ++i) {
      FileFacts facts = FactsOf(files[i], (*results)[i]);
      FileState next;
      auto old = state_.find(files[i].path);
      if (recompute_links) {
        next.resolved = Resolve(facts);
        if (imports_changed != nullptr && (old == state_.end() || old->second.facts.imports != facts.imports)) {
          *imports_changed = true;
        }
      } else if (old != state_.end()) {
        next.resolved = old->second.resolved;
      }
      TETHER_RETURN_IF_ERROR(sink_->Put({Output(kDocsPages, FilePagePath(files[i].path)),
                                         PageKey(files[i], next.resolved), FilePage(facts, next.resolved)}));
      facts.symbols.clear();
      next.facts = std::move(facts);
      next.blob = files[i].blob_id;
      state_[files[i].path] = std::move(next);
    }
    return Status::Ok();
  }

  Status UpdateMap(bool imports_changed, const std::set<std::string>& changed_paths) {
    MapState map;
    Result<RepositoryOutput> stored = view_.Output(kMap);
    bool have = stored.ok() && ParseMap(stored->content, &map);
    if (!stored.ok() && stored.status().code() != StatusCode::kNotFound) return stored.status();
    bool shown_changed = false;
    for (const auto& [path, importers] : map.entries) shown_changed = shown_changed || changed_paths.count(path) != 0;
    if (have && !imports_changed && !shown_changed) {
      map_markdown_ = map.markdown;
      return Status::Ok();
    }
    if (imports_changed || !have) {
      std::vector<FileImports> imports;
      for (const auto& [path, s] : state_) imports.push_back({path, s.facts.language, s.facts.imports});
      map.entries.clear();
      for (const RankedFile& r : RankByImporters(imports, *paths_, kMapFiles)) map.entries.emplace_back(r.path, r.importers);
    }
    std::vector<RepositoryFile> shown;
    for (const auto& [path, importers] : map.entries) {
      auto f = by_path_.find(path);
      if (f != by_path_.end()) shown.push_back(*f->second);
    }
    Result<std::vector<AnalysisResult>> results = view_.Results(code_id_, shown);
    if (!results.ok()) return results.status();
    std::vector<MapEntry> entries;
    for (size_t i = 0; i < shown.size(); ++i) {
      MapEntry e;
      e.path = shown[i].path;
      for (const auto& [path, importers] : map.entries) {
        if (path == e.path) e.importers = importers;
      }
      if ((*results)[i].outcome == AnalysisOutcome::kAnalyzed) e.symbols = (*results)[i].symbols;
      entries.push_back(std::move(e));
    }
    map.markdown = RepositoryMap(entries);
    map_markdown_ = map.markdown;
    return sink_->Put({kMap, "", MapJson(map)});
  }

  Status UpdateReadme() {
    const RepositoryFile* readme = nullptr;
    for (const char* name : kReadmeNames) {
      auto it = by_path_.find(name);
      if (it != by_path_.end()) {
        readme = it->second;
        break;
      }
    }
    Result<RepositoryOutput> stored = view_.Output(kReadme);
    if (!stored.ok() && stored.status().code() != StatusCode::kNotFound) return stored.status();
    if (readme == nullptr) {
      if (stored.ok()) TETHER_RETURN_IF_ERROR(sink_->Remove(kReadme));
      return Status::Ok();
    }
    const std::string key = readme->path + ":" + readme->blob_id;
    if (stored.ok() && stored->key == key) {
      readme_ = stored->content;
      return Status::Ok();
    }
    Result<std::string> text = view_.Content(readme->path);
    if (!text.ok() && text.status().code() != StatusCode::kNotFound) return text.status();
    readme_ = text.ok() ? *text : "";
    return sink_->Put({kReadme, key, readme_});
  }

  // The index of every directory in `touched` (its tree changed) and the
  // state of every one in `dirty`; those left without files are removed.
  Status WriteDirectories(const std::set<std::string>& touched, const std::set<std::string>& dirty) {
    const std::map<std::string, std::string> trees = TreeIds(view_.files());
    std::map<std::string, int64_t> counts;
    std::map<std::string, std::set<std::string>> children;
    for (const RepositoryFile& f : view_.files()) {
      for (const std::string& dir : Ancestors(f.path)) {
        ++counts[dir];
        if (!dir.empty()) children[DirOf(dir)].insert(dir);
      }
    }
    std::map<std::string, std::vector<const FileState*>> direct;
    for (const auto& [path, s] : state_) direct[DirOf(path)].push_back(&s);
    for (const std::string& dir : dirty) {
      auto tree = trees.find(dir);
      if (tree == trees.end() && !dir.empty()) {
        TETHER_RETURN_IF_ERROR(sink_->Remove(Output(kStatePrefix, dir)));
        TETHER_RETURN_IF_ERROR(sink_->Remove(Output(kDocsPages, IndexPagePath(dir))));
        continue;
      }
      const std::string tree_id = tree == trees.end() ? "" : tree->second;
      TETHER_RETURN_IF_ERROR(sink_->Put({Output(kStatePrefix, dir), tree_id, StateJson(direct[dir])}));
      if (touched.count(dir) == 0) continue;
      std::vector<ChildDirectory> dirs;
      for (const std::string& child : children[dir]) {
        dirs.push_back({dir.empty() ? child : child.substr(dir.size() + 1), counts[child]});
      }
      std::vector<FileFacts> files;
      for (const FileState* s : direct[dir]) files.push_back(s->facts);
      TETHER_RETURN_IF_ERROR(sink_->Put({Output(kDocsPages, IndexPagePath(dir)), tree_id,
                                         IndexPage(dir, counts[dir], dirs, files, view_.project_name(),
                                                   map_markdown_, readme_)}));
    }
    return Status::Ok();
  }

  const RepositoryView& view_;
  RepositorySink* sink_;
  const std::string& code_id_;
  std::map<std::string, const RepositoryFile*> by_path_;
  std::unique_ptr<PathIndex> paths_;
  std::map<std::string, FileState> state_;  // by path
  std::set<std::string> loaded_;            // directories whose state is in state_
  bool all_loaded_ = false;
  std::string map_markdown_;
  std::string readme_;
};

}  // namespace

Status DocsStep::Update(const RepositoryView& view, RepositorySink* sink) {
  return Run(view, sink, code_id_).Go();
}

}  // namespace tether::docs
