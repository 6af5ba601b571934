#include "engine/mcp/tools.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <vector>

#include "engine/common/utf8.h"
#include "engine/db/project_store.h"
#include "engine/docs/docs_pages.h"
#include "engine/search/search.h"
#include "engine/sync/stored_cursor.h"
#include "engine/views/json_views.h"
#include "tether/storage.h"

namespace tether::mcp {
namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxNameBytes = 1024;

// ---- the catalogue ---------------------------------------------------------

// Members every result's schema has.
#define TETHER_MCP_WHERE                                                                     \
  R"j("project": {"type": "string", "description": "The project the result is of"},)j"     \
  R"j("branch": {"type": "string", "description": "The branch the project follows"},)j"      \
  R"j("commit": {"type": ["string", "null"], "description": "The synced commit read (null before the first sync)"})j"
#define TETHER_MCP_PROJECT_ARG \
  R"j("project": {"type": "string", "description": "The project's name, as list_projects gives it"})j"

struct ToolSpec {
  const char* name;
  const char* title;
  const char* description;
  const char* input_schema;
  const char* output_schema;
};

const ToolSpec kTools[] = {
    {"list_projects", "List projects",
     "The projects this connection may read, each with the branch it follows and the commit last synced "
     "(null before its first sync). Start here: the other tools take a project's name.",
     R"j({"type": "object", "properties": {}, "additionalProperties": false})j",
     R"j({"type": "object", "properties": {"projects": {"type": "array", "items": {"type": "object", "properties": {)j"
     TETHER_MCP_WHERE R"j(, "status": {"type": "string"}, "sync_enabled": {"type": "boolean"},)j"
     R"j( "last_synced_at": {"type": ["string", "null"]}}, "required": ["project", "branch", "commit"]}}},)j"
     R"j( "required": ["projects"]})j"},
    {"search", "Search code",
     "Searches a project's synced code. mode text (the default): every line holding the query literally "
     "(3 characters or more; no wildcards); symbol: functions, classes, ... whose name matches (whole, prefix "
     "or sub-token); semantic: the chunks of code nearest a description in words (needs the embeddings "
     "analyzer). Hits give path, lines and a snippet; read_file shows more.",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_PROJECT_ARG R"j(,)j"
     R"j( "query": {"type": "string", "description": "What to search for (text mode: taken literally, 3 characters or more)"},)j"
     R"j( "mode": {"type": "string", "enum": ["text", "symbol", "semantic"], "default": "text"},)j"
     R"j( "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20, "description": "At most this many hits"},)j"
     R"j( "path": {"type": "string", "description": "Only files whose path starts with this, e.g. src/"},)j"
     R"j( "case_sensitive": {"type": "boolean", "default": false, "description": "Text mode: whether A-Z and a-z differ"}},)j"
     R"j( "required": ["project", "query"], "additionalProperties": false})j",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_WHERE R"j(,)j"
     R"j( "mode": {"type": "string"}, "hits": {"type": "array", "items": {"type": "object", "properties": {)j"
     R"j( "path": {"type": "string"}, "language": {"type": ["string", "null"]}, "start_line": {"type": "integer"},)j"
     R"j( "end_line": {"type": "integer"}, "score": {"type": "number"}, "snippet": {"type": "string"},)j"
     R"j( "symbol": {"type": "string"}, "kind": {"type": "string"},)j"
     R"j( "link": {"type": "string", "description": "The file at these lines in tether serve's web page, from its root"}},)j"
     R"j( "required": ["path", "start_line", "end_line"]}},)j"
     R"j( "more": {"type": "boolean", "description": "More hits matched than the limit"},)j"
     R"j( "compared": {"type": "integer", "description": "Semantic mode: the chunks compared with the query"},)j"
     R"j( "space": {"type": "string", "description": "Semantic mode: the embedding space (model) searched"}},)j"
     R"j( "required": ["project", "branch", "commit", "hits", "more"]})j"},
    {"symbols", "Symbols",
     "The symbols the code analyzer found: with file, that file's outline (every function, class, ... with its "
     "lines); with name, the symbols whose name matches it (whole, prefix or sub-token), best first, optionally "
     "of one kind and under a path.",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_PROJECT_ARG R"j(,)j"
     R"j( "file": {"type": "string", "description": "A file's path: its outline"},)j"
     R"j( "name": {"type": "string", "description": "A name to look for, e.g. parse"},)j"
     R"j( "kind": {"type": "string", "description": "With name: only this kind (function, method, class, ...)"},)j"
     R"j( "path": {"type": "string", "description": "With name: only under this path prefix"},)j"
     R"j( "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "description": "At most this many (default: 50 by name, 1000 of a file)"}},)j"
     R"j( "required": ["project"], "additionalProperties": false})j",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_WHERE R"j(,)j"
     R"j( "file": {"type": ["string", "null"]}, "symbols": {"type": "array", "items": {"type": "object", "properties": {)j"
     R"j( "path": {"type": "string"}, "language": {"type": ["string", "null"]}, "name": {"type": "string"},)j"
     R"j( "kind": {"type": "string"}, "start_line": {"type": "integer"}, "end_line": {"type": "integer"},)j"
     R"j( "signature": {"type": ["string", "null"]}, "parent": {"type": ["string", "null"]},)j"
     R"j( "doc": {"type": ["string", "null"]}, "match": {"type": "string"}},)j"
     R"j( "required": ["path", "name", "kind", "start_line", "end_line"]}}, "more": {"type": "boolean"}},)j"
     R"j( "required": ["project", "branch", "commit", "symbols", "more"]})j"},
    {"read_file", "Read a file",
     "A file of a project as its last sync stored it, whole or lines start_line to end_line (1-based, "
     "inclusive). At most 256 KiB come back: a longer read ends at a whole line, says truncated and gives "
     "next_start_line to go on from.",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_PROJECT_ARG R"j(,)j"
     R"j( "path": {"type": "string", "description": "The file's path in the project, e.g. src/main.c"},)j"
     R"j( "start_line": {"type": "integer", "minimum": 1, "description": "First line (default 1)"},)j"
     R"j( "end_line": {"type": "integer", "minimum": 1, "description": "Last line (default: the last)"}},)j"
     R"j( "required": ["project", "path"], "additionalProperties": false})j",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_WHERE R"j(,)j"
     R"j( "path": {"type": "string"}, "language": {"type": ["string", "null"]}, "total_lines": {"type": "integer"},)j"
     R"j( "start_line": {"type": "integer"}, "end_line": {"type": "integer"}, "content": {"type": "string"},)j"
     R"j( "truncated": {"type": "boolean"}, "next_start_line": {"type": ["integer", "null"]}},)j"
     R"j( "required": ["project", "branch", "commit", "path", "start_line", "end_line", "content", "truncated"]})j"},
    {"list_files", "List files",
     "The files of a project under a folder (all of them by default), in path order, a page at a time: pass "
     "next_cursor back as cursor for the next page.",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_PROJECT_ARG R"j(,)j"
     R"j( "path": {"type": "string", "description": "A folder, e.g. src (default: the whole project)"},)j"
     R"j( "cursor": {"type": "string", "description": "next_cursor of the previous page"},)j"
     R"j( "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200}},)j"
     R"j( "required": ["project"], "additionalProperties": false})j",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_WHERE R"j(,)j"
     R"j( "path": {"type": "string"}, "files": {"type": "array", "items": {"type": "object", "properties": {)j"
     R"j( "path": {"type": "string"}, "size": {"type": "integer"}, "language": {"type": ["string", "null"]},)j"
     R"j( "is_binary": {"type": "boolean"}}, "required": ["path", "size"]}},)j"
     R"j( "next_cursor": {"type": ["string", "null"]}}, "required": ["project", "branch", "commit", "files", "next_cursor"]})j"},
    {"docs", "Generated docs",
     "The documentation the docs analyzer wrote for a file (what it defines and uses) or a folder (an index), "
     "as Markdown; the project's overview without path.",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_PROJECT_ARG R"j(,)j"
     R"j( "path": {"type": "string", "description": "A file or folder (default: the project's root)"}},)j"
     R"j( "required": ["project"], "additionalProperties": false})j",
     R"j({"type": "object", "properties": {)j" TETHER_MCP_WHERE R"j(,)j"
     R"j( "path": {"type": "string"}, "page": {"type": "string"}, "title": {"type": "string"},)j"
     R"j( "markdown": {"type": "string"}, "updated_at": {"type": "string"}},)j"
     R"j( "required": ["project", "branch", "commit", "path", "markdown"]})j"},
};

#undef TETHER_MCP_WHERE
#undef TETHER_MCP_PROJECT_ARG

void Raw(CompactJsonWriter& out, const char* key, const char* json) {
  // The schemas are compact enough as written; RawValue keeps them as they
  // are (a test parses every one).
  out.writer().Key(key);
  out.writer().RawValue(json, std::char_traits<char>::length(json), rapidjson::kObjectType);
}

// ---- arguments ---------------------------------------------------------------

using Bad = std::optional<std::string>;

const char* TypeName(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsArray()) return "an array";
  return "an object";
}

Bad Unknown(const rapidjson::Value& args, std::initializer_list<const char*> known) {
  for (auto it = args.MemberBegin(); it != args.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (std::any_of(known.begin(), known.end(), [&](const char* k) { return name == k; })) continue;
    std::string list;
    for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return "unknown argument \"" + std::string(name.substr(0, 64)) + "\"; this tool takes " +
           (list.empty() ? std::string("none") : list);
  }
  return std::nullopt;
}

Bad GetString(const rapidjson::Value& args, const char* name, bool required, size_t max_bytes, std::string* out) {
  auto it = args.FindMember(name);
  if (it == args.MemberEnd()) {
    if (required) return "argument \"" + std::string(name) + "\" is required";
    return std::nullopt;
  }
  if (!it->value.IsString()) {
    return "argument \"" + std::string(name) + "\" must be a string, not " + TypeName(it->value);
  }
  const std::string_view value(it->value.GetString(), it->value.GetStringLength());
  if (value.size() > max_bytes) {
    return "argument \"" + std::string(name) + "\" is " + std::to_string(value.size()) + " bytes; at most " +
           std::to_string(max_bytes) + " are allowed";
  }
  if (value.find('\0') != std::string_view::npos) return "argument \"" + std::string(name) + "\" holds a NUL character";
  if (required && value.empty()) return "argument \"" + std::string(name) + "\" must not be empty";
  out->assign(value);
  return std::nullopt;
}

Bad GetInt(const rapidjson::Value& args, const char* name, int64_t min, int64_t max, int64_t* out) {
  auto it = args.FindMember(name);
  if (it == args.MemberEnd()) return std::nullopt;
  const rapidjson::Value& v = it->value;
  const std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
  int64_t value = 0;
  if (v.IsInt64()) {
    value = v.GetInt64();
  } else if (v.IsNumber() && !v.IsUint64()) {
    const double d = v.GetDouble();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) {
      return "argument \"" + std::string(name) + "\" must be a whole number " + range;
    }
    value = static_cast<int64_t>(d);
  } else if (v.IsUint64()) {
    value = INT64_MAX;  // beyond any range below
  } else {
    return "argument \"" + std::string(name) + "\" must be an integer " + range + ", not " + TypeName(v);
  }
  if (value < min || value > max) {
    return "argument \"" + std::string(name) + "\" must be " + range + ", not " +
           (v.IsUint64() && !v.IsInt64() ? std::to_string(v.GetUint64()) : std::to_string(value));
  }
  *out = value;
  return std::nullopt;
}

Bad GetBool(const rapidjson::Value& args, const char* name, bool* out) {
  auto it = args.FindMember(name);
  if (it == args.MemberEnd()) return std::nullopt;
  if (!it->value.IsBool()) {
    return "argument \"" + std::string(name) + "\" must be true or false, not " + TypeName(it->value);
  }
  *out = it->value.GetBool();
  return std::nullopt;
}

// A path inside the project: relative, '/'-separated, no empty, "." or
// ".." segment. `folder`: "" (the root) is allowed and a trailing '/' is
// dropped.
Bad CheckPath(const char* name, std::string* path, bool folder) {
  const std::string arg = "argument \"" + std::string(name) + "\"";
  if (folder) {
    while (!path->empty() && path->back() == '/') path->pop_back();
    if (path->empty()) return std::nullopt;
  }
  if (path->empty()) return arg + " must name a file, e.g. README.md";
  if (!IsValidUtf8(*path)) return arg + " is not valid UTF-8";
  if (path->front() == '/') {
    return arg + ": \"" + *path + "\" is absolute; give a path inside the project, as list_files shows them";
  }
  size_t start = 0;
  while (true) {
    const size_t end = path->find('/', start);
    const std::string_view segment =
        std::string_view(*path).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (segment.empty()) return arg + ": \"" + *path + "\" has an empty segment (\"//\")";
    if (segment == "." || segment == "..") {
      return arg + ": \"" + *path + "\" has a \"" + std::string(segment) +
             "\" segment; give a path inside the project, as list_files shows them";
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

// ---- what every result names ---------------------------------------------------

struct Opened {
  db::Project project;
  Storage* storage = nullptr;  // borrowed from the plugin host
  ProjectRef ref;
  std::string commit;  // the storage's cursor; empty before the first sync
};

// The tenant's project `name` with its storage and synced commit; a tool
// error (naming the argument) when there is none.
Result<Opened> Open(const ToolContext& context, const std::string& name) {
  Result<db::Project> project = db::ProjectStore(context.db).Get(context.tenant, name);
  if (!project.ok()) {
    if (project.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("argument \"project\": no project \"" + name +
                              "\" is readable here (list_projects names those that are)");
    }
    return project.status();
  }
  Result<Storage*> storage = context.plugins->FindStorage(project->storage);
  if (!storage.ok()) {
    return Status::Unavailable("the project's storage \"" + project->storage + "\" is not loaded: " +
                               storage.status().message());
  }
  Result<CommitId> commit = (*storage)->ReadCursor(ProjectRef{project->id, project->tenant_id});
  if (!commit.ok()) return commit.status();
  Opened opened;
  opened.ref = ProjectRef{project->id, project->tenant_id};
  opened.project = std::move(project).value();
  opened.storage = *storage;
  opened.commit = std::move(commit).value();
  return opened;
}

// Whether a sync moved the project's cursor since `opened` read it: what
// was read then may be of either commit, so the caller reads again.
bool Moved(const Opened& opened) {
  Result<CommitId> now = opened.storage->ReadCursor(opened.ref);
  return now.ok() && *now != opened.commit;
}
constexpr int kReadTries = 3;

void WriteWhere(CompactJsonWriter& out, const Opened& opened) {
  out.Str("project", opened.project.name).Str("branch", opened.project.branch).StrOrNull("commit", opened.commit);
}

// The key of the configured analyzer `name` whose results the project's
// storage keeps.
Result<AnalyzerKey> AnalyzerOf(const ToolContext& context, const Opened& opened, const std::string& name) {
  Result<Analyzer*> analyzer = context.plugins->FindAnalyzer(name);
  if (!analyzer.ok()) {
    if (analyzer.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no analyzer \"" + name + "\" is configured on this server");
    }
    return Status::Unavailable("analyzer \"" + name + "\" cannot be used: " + analyzer.status().message());
  }
  if (!context.plugins->StorageKeepsAnalysis(opened.project.storage)) {
    return Status::Unavailable("the project's storage \"" + opened.project.storage + "\" keeps no analysis results");
  }
  return (*analyzer)->Key();
}

ToolResult Error(std::string message) {
  ToolResult result;
  result.is_error = true;
  result.message = std::move(message);
  return result;
}
ToolResult Error(const Status& status) { return Error(status.message()); }
ToolResult Done(const CompactJsonWriter& out) {
  ToolResult result;
  result.structured = out.Text();
  return result;
}

// ---- the tools ---------------------------------------------------------------------

ToolResult ListProjects(const rapidjson::Value& args, const ToolContext& context) {
  if (Bad bad = Unknown(args, {})) return Error(*bad);
  Result<std::vector<db::Project>> all = db::ProjectStore(context.db).List();
  if (!all.ok()) return Error(all.status());
  CompactJsonWriter out;
  out.Begin().BeginArray("projects");
  for (const db::Project& p : *all) {
    if (p.tenant_id != context.tenant) continue;
    out.Begin().Str("project", p.name).Str("branch", p.branch)
        .StrOrNull("commit", sync::StoredCursorOrEmpty(*context.plugins, p)).Str("status", p.status)
        .Bool("sync_enabled", p.sync_enabled).StrOrNull("last_synced_at", p.last_synced_at).End();
  }
  out.EndArray().End();
  return Done(out);
}

ToolResult Search(const rapidjson::Value& args, const ToolContext& context) {
  if (Bad bad = Unknown(args, {"project", "query", "mode", "limit", "path", "case_sensitive"})) return Error(*bad);
  search::SearchRequest request;
  std::string mode = "text";
  int64_t limit = search::kDefaultSearchLimit;
  // Lengths beyond these are refused before the use case's own checks.
  if (Bad bad = GetString(args, "project", true, 256, &request.project)) return Error(*bad);
  if (Bad bad = GetString(args, "query", true, 64 * 1024, &request.query)) return Error(*bad);
  if (Bad bad = GetString(args, "mode", false, 64, &mode)) return Error(*bad);
  if (Bad bad = GetInt(args, "limit", 1, search::kMaxSearchLimit, &limit)) return Error(*bad);
  if (Bad bad = GetString(args, "path", false, 64 * 1024, &request.path_prefix)) return Error(*bad);
  if (Bad bad = GetBool(args, "case_sensitive", &request.case_sensitive)) return Error(*bad);
  std::optional<search::SearchMode> parsed = search::ParseSearchMode(mode);
  if (!parsed) return Error("argument \"mode\" must be text, symbol or semantic, not \"" + mode.substr(0, 64) + "\"");
  request.mode = *parsed;
  request.limit = static_cast<int>(limit);
  if (std::optional<search::SearchInputError> bad = search::CheckSearchRequest(request)) {
    return Error("argument \"" + bad->field + "\": " + bad->message);
  }
  Result<Opened> opened = Open(context, request.project);  // the project's own message when it is unknown
  if (!opened.ok()) return Error(opened.status());
  Result<search::SearchResults> results = search::Search(*context.plugins, context.db, context.tenant, request,
                                                         context.semantic_cache);
  if (!results.ok()) return Error(results.status());
  CompactJsonWriter out;
  out.Begin();
  search::WriteSearchResults(out, *results);
  out.End();
  return Done(out);
}

void WriteSymbol(CompactJsonWriter& out, const std::string& path, const std::string& language, const Symbol& s) {
  out.Begin().Str("path", path).StrOrNull("language", language).Str("name", s.name).Str("kind", s.kind)
      .Int("start_line", s.start_line).Int("end_line", s.end_line).StrOrNull("signature", s.signature)
      .StrOrNull("parent", s.parent).StrOrNull("doc", s.doc).End();
}

ToolResult Symbols(const rapidjson::Value& args, const ToolContext& context) {
  if (Bad bad = Unknown(args, {"project", "file", "name", "kind", "path", "limit"})) return Error(*bad);
  std::string project, file, name, kind, path;
  int64_t limit = 50;
  if (Bad bad = GetString(args, "project", true, 256, &project)) return Error(*bad);
  if (Bad bad = GetString(args, "file", false, kMaxPathBytes, &file)) return Error(*bad);
  if (Bad bad = GetString(args, "name", false, kMaxNameBytes, &name)) return Error(*bad);
  if (Bad bad = GetString(args, "kind", false, 64, &kind)) return Error(*bad);
  if (Bad bad = GetString(args, "path", false, kMaxPathBytes, &path)) return Error(*bad);
  if (Bad bad = GetInt(args, "limit", 1, 1000, &limit)) return Error(*bad);
  const bool by_file = args.HasMember("file");
  if (by_file && !args.HasMember("limit")) limit = 1000;  // a file's whole outline
  if (by_file == !name.empty()) {
    return Error(by_file ? "give argument \"file\" (a file's outline) or \"name\" (symbols by name), not both"
                         : "give argument \"file\" (a file's outline) or \"name\" (symbols by name, e.g. parse)");
  }
  if (by_file) {
    if (Bad bad = CheckPath("file", &file, false)) return Error(*bad);
    if (!kind.empty() || !path.empty()) return Error("arguments \"kind\" and \"path\" go with \"name\", not \"file\"");
  }
  for (int attempt = 1;; ++attempt) {
    Result<Opened> opened = Open(context, project);
    if (!opened.ok()) return Error(opened.status());
    Result<AnalyzerKey> key = AnalyzerOf(context, *opened, "code");
    if (!key.ok()) return Error(key.status());
    CompactJsonWriter out;
    out.Begin();
    WriteWhere(out, *opened);
    if (by_file) {
      Result<AnalysisResult> result = opened->storage->GetAnalysis(opened->ref, *key, file);
      if (!result.ok()) {
        if (result.status().code() == StatusCode::kNotFound) {
          return Error("argument \"file\": \"" + file + "\" is not a file of project \"" + project +
                       "\" with analysis results (list_files shows its files)");
        }
        return Error(result.status());
      }
      if (result->outcome != AnalysisOutcome::kAnalyzed) {
        return Error("\"" + file + "\" has no outline: its analysis " + AnalysisOutcomeName(result->outcome) +
                     (result->reason.empty() ? std::string() : " (" + result->reason + ")"));
      }
      out.Str("file", file).BeginArray("symbols");
      const size_t shown = std::min(result->symbols.size(), static_cast<size_t>(limit));
      for (size_t i = 0; i < shown; ++i) WriteSymbol(out, file, result->language, result->symbols[i]);
      out.EndArray().Bool("more", shown < result->symbols.size());
    } else {
      SymbolQuery query;
      query.key = *key;
      query.text = name;
      query.kind = kind;
      query.path_prefix = path;
      query.limit = static_cast<int>(limit);
      Result<SymbolPage> page = opened->storage->SearchSymbols(opened->ref, query);
      if (!page.ok()) return Error(page.status());
      out.Null("file").BeginArray("symbols");
      for (const SymbolHit& hit : page->hits) views::WriteSymbolHit(out, hit);
      out.EndArray().Bool("more", page->more);
    }
    out.End();
    if (attempt < kReadTries && Moved(*opened)) continue;
    return Done(out);
  }
}

// The lines of `content` from `first` (1-based), whole, as many as fit in
// kReadMaxBytes, up to `last`.
struct Slice {
  int64_t end_line = 0;
  std::string text;
  bool truncated = false;
};

int64_t CountLines(std::string_view content) {
  if (content.empty()) return 0;
  int64_t lines = std::count(content.begin(), content.end(), '\n');
  if (content.back() != '\n') ++lines;
  return lines;
}

Slice Lines(std::string_view content, int64_t first, int64_t last) {
  Slice slice;
  size_t at = 0;
  for (int64_t line = 1; line < first && at < content.size(); ++line) {
    const size_t end = content.find('\n', at);
    at = end == std::string_view::npos ? content.size() : end + 1;
  }
  for (int64_t line = first; line <= last && at < content.size(); ++line) {
    const size_t end = content.find('\n', at);
    const size_t next = end == std::string_view::npos ? content.size() : end + 1;
    if (slice.text.size() + (next - at) > kReadMaxBytes) {
      slice.truncated = true;
      if (slice.text.empty()) {
        // One line longer than the cap: its start, cut at a character.
        size_t cut = at;
        while (cut < next) {
          // Stored text is UTF-8; a byte that is not starts no sequence but is stepped over.
          const size_t length = std::max<size_t>(Utf8SequenceLength(content.substr(cut)), 1);
          if (cut - at + length > kReadMaxBytes) break;
          cut += length;
        }
        slice.text.assign(content.substr(at, cut - at));
        slice.end_line = line;
      }
      break;
    }
    slice.text.append(content.substr(at, next - at));
    slice.end_line = line;
    at = next;
  }
  return slice;
}

ToolResult ReadFile(const rapidjson::Value& args, const ToolContext& context) {
  if (Bad bad = Unknown(args, {"project", "path", "start_line", "end_line"})) return Error(*bad);
  std::string project, path;
  int64_t start_line = 1, end_line = 0;
  constexpr int64_t kMaxLine = int64_t{1} << 40;
  if (Bad bad = GetString(args, "project", true, 256, &project)) return Error(*bad);
  if (Bad bad = GetString(args, "path", true, kMaxPathBytes, &path)) return Error(*bad);
  if (Bad bad = GetInt(args, "start_line", 1, kMaxLine, &start_line)) return Error(*bad);
  if (Bad bad = GetInt(args, "end_line", 1, kMaxLine, &end_line)) return Error(*bad);
  if (Bad bad = CheckPath("path", &path, false)) return Error(*bad);
  const bool to_end = !args.HasMember("end_line");
  if (!to_end && end_line < start_line) {
    return Error("argument \"end_line\" (" + std::to_string(end_line) + ") is before start_line (" +
                 std::to_string(start_line) + ")");
  }
  for (int attempt = 1;; ++attempt) {
    Result<Opened> opened = Open(context, project);
    if (!opened.ok()) return Error(opened.status());
    Result<StoredDocument> document = opened->storage->GetDocument(opened->ref, path);
    if (!document.ok()) {
      if (document.status().code() == StatusCode::kNotFound) {
        return Error("argument \"path\": \"" + path + "\" is not a file of project \"" + project +
                     "\" at its synced commit (list_files shows its files)");
      }
      return Error(document.status());
    }
    if (attempt < kReadTries && Moved(*opened)) continue;
    if (document->is_binary) return Error("\"" + path + "\" is a binary file; only text files can be read");
    if (!document->has_content) {
      return Error("\"" + path + "\" (" + std::to_string(document->size) +
                   " bytes) has no stored text: it is larger than this server's max_content_bytes");
    }
    const int64_t total = CountLines(document->content);
    if (args.HasMember("start_line") && start_line > std::max<int64_t>(total, 1)) {
      return Error("argument \"start_line\" (" + std::to_string(start_line) + ") is past the end of \"" + path +
                   "\", which has " + std::to_string(total) + " lines");
    }
    const int64_t last = to_end ? total : std::min(end_line, total);
    Slice slice = Lines(document->content, start_line, last);
    CompactJsonWriter out;
    out.Begin();
    WriteWhere(out, *opened);
    out.Str("path", path).StrOrNull("language", document->language).Int("total_lines", total)
        .Int("start_line", total == 0 ? 0 : start_line).Int("end_line", slice.end_line).Str("content", slice.text)
        .Bool("truncated", slice.truncated);
    if (slice.truncated && slice.end_line < last) out.Int("next_start_line", slice.end_line + 1);
    else out.Null("next_start_line");
    out.End();
    return Done(out);
  }
}

// A list_files cursor: "p" and the last path given, in hex, so that any
// bytes a path holds survive and nothing else is taken for one.
std::string EncodeCursor(const std::string& path) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "p";
  for (unsigned char c : path) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

bool DecodeCursor(const std::string& cursor, std::string* path) {
  if (cursor.empty() || cursor[0] != 'p' || cursor.size() % 2 != 1) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  path->clear();
  for (size_t i = 1; i < cursor.size(); i += 2) {
    const int high = nibble(cursor[i]), low = nibble(cursor[i + 1]);
    if (high < 0 || low < 0) return false;
    path->push_back(static_cast<char>(high * 16 + low));
  }
  return true;
}

ToolResult ListFiles(const rapidjson::Value& args, const ToolContext& context) {
  if (Bad bad = Unknown(args, {"project", "path", "cursor", "limit"})) return Error(*bad);
  std::string project, folder, cursor;
  int64_t limit = kDefaultListLimit;
  if (Bad bad = GetString(args, "project", true, 256, &project)) return Error(*bad);
  if (Bad bad = GetString(args, "path", false, kMaxPathBytes, &folder)) return Error(*bad);
  if (Bad bad = GetString(args, "cursor", false, 2 * kMaxPathBytes + 1, &cursor)) return Error(*bad);
  if (Bad bad = GetInt(args, "limit", 1, kMaxListLimit, &limit)) return Error(*bad);
  if (Bad bad = CheckPath("path", &folder, true)) return Error(*bad);
  DocumentQuery query;
  query.path_prefix = folder.empty() ? std::string() : folder + "/";
  query.limit = static_cast<int>(limit);
  if (!cursor.empty() && (!DecodeCursor(cursor, &query.after) ||
                          query.after.compare(0, query.path_prefix.size(), query.path_prefix) != 0)) {
    return Error("argument \"cursor\" is not a next_cursor that list_files gave for this path");
  }
  for (int attempt = 1;; ++attempt) {
    Result<Opened> opened = Open(context, project);
    if (!opened.ok()) return Error(opened.status());
    Result<DocumentPage> page = opened->storage->ListDocuments(opened->ref, query);
    if (!page.ok()) return Error(page.status());
    if (attempt < kReadTries && Moved(*opened)) continue;
    CompactJsonWriter out;
    out.Begin();
    WriteWhere(out, *opened);
    out.Str("path", folder).BeginArray("files");
    for (const StoredDocument& d : page->documents) {
      out.Begin().Str("path", d.entry.path).Int("size", static_cast<int64_t>(d.size)).StrOrNull("language", d.language)
          .Bool("is_binary", d.is_binary).End();
    }
    out.EndArray().StrOrNull("next_cursor", page->more && !page->documents.empty()
                                                 ? EncodeCursor(page->documents.back().entry.path)
                                                 : std::string());
    out.End();
    return Done(out);
  }
}

ToolResult Docs(const rapidjson::Value& args, const ToolContext& context) {
  if (Bad bad = Unknown(args, {"project", "path"})) return Error(*bad);
  std::string project, path;
  if (Bad bad = GetString(args, "project", true, 256, &project)) return Error(*bad);
  if (Bad bad = GetString(args, "path", false, kMaxPathBytes, &path)) return Error(*bad);
  if (Bad bad = CheckPath("path", &path, true)) return Error(*bad);
  for (int attempt = 1;; ++attempt) {
    Result<Opened> opened = Open(context, project);
    if (!opened.ok()) return Error(opened.status());
    Result<AnalyzerKey> key = AnalyzerOf(context, *opened, "docs");
    if (!key.ok()) return Error(key.status());
    if (!context.plugins->StorageKeepsOutputs(opened->project.storage)) {
      return Error("the project's storage \"" + opened->project.storage +
                   "\" keeps no documentation (it is built for an SDK before 3.3)");
    }
    docs::PagesSource source;
    source.storage = opened->storage;
    source.project = opened->ref;
    source.analyzer_id = key->id;
    Result<docs::Page> page = docs::ReadPageFor(source, path);
    if (!page.ok()) {
      if (page.status().code() == StatusCode::kNotFound) {
        return Error("argument \"path\": no documentation for \"" + path + "\" in project \"" + project +
                     "\" (no such file or folder, or the docs analyzer has not written it yet)");
      }
      return Error(page.status());
    }
    if (attempt < kReadTries && Moved(*opened)) continue;
    CompactJsonWriter out;
    out.Begin();
    WriteWhere(out, *opened);
    out.Str("path", path).Str("page", page->path).Str("title", page->title).Str("markdown", page->markdown)
        .Str("updated_at", page->updated_at).End();
    return Done(out);
  }
}

using ToolFunction = ToolResult (*)(const rapidjson::Value&, const ToolContext&);

ToolFunction Find(std::string_view name) {
  if (name == "list_projects") return &ListProjects;
  if (name == "search") return &Search;
  if (name == "symbols") return &Symbols;
  if (name == "read_file") return &ReadFile;
  if (name == "list_files") return &ListFiles;
  if (name == "docs") return &Docs;
  return nullptr;
}

}  // namespace

bool IsTool(std::string_view name) { return Find(name) != nullptr; }

void WriteTools(CompactJsonWriter& out, bool with_output) {
  for (const ToolSpec& tool : kTools) {
    out.Begin().Str("name", tool.name);
    if (with_output) out.Str("title", tool.title);
    out.Str("description", tool.description);
    Raw(out, "inputSchema", tool.input_schema);
    if (with_output) Raw(out, "outputSchema", tool.output_schema);
    // Every tool only reads, and reads only this server's index.
    out.BeginObject("annotations").Str("title", tool.title).Bool("readOnlyHint", true)
        .Bool("destructiveHint", false).Bool("idempotentHint", true).Bool("openWorldHint", false).End();
    out.End();
  }
}

ToolResult CallTool(std::string_view name, const rapidjson::Value& arguments, const ToolContext& context) {
  ToolFunction tool = Find(name);
  if (tool == nullptr) return Error("no tool \"" + std::string(name.substr(0, 64)) + "\"");
  return tool(arguments, context);
}

}  // namespace tether::mcp
