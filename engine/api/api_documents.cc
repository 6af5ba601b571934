// Api: a project's synced documents, a page at a time, and one document
// with its content, read through the project's storage plugin. Never the
// derived data itself (embedding bytes), only which kinds a document holds.
#include <algorithm>

#include "engine/common/json_writer.h"
#include "engine/api/api.h"
#include "engine/sync/content_rules.h"
#include "tether/storage.h"

namespace tether::api {
namespace {

constexpr int64_t kDefaultPage = 100;
constexpr int64_t kMaxPage = 1000;

// The cursor is the last path of a page, hex-encoded: opaque to clients and
// safe in a URL whatever bytes the path holds.
std::string EncodeCursor(const std::string& path) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : path) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

bool DecodeCursor(const std::string& cursor, std::string* path) {
  if (cursor.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  path->clear();
  for (size_t i = 0; i < cursor.size(); i += 2) {
    const int high = nibble(cursor[i]), low = nibble(cursor[i + 1]);
    if (high < 0 || low < 0) return false;
    path->push_back(static_cast<char>(high * 16 + low));
  }
  return true;
}

void WriteInfo(JsonWriter& json, const StoredDocument& d) {
  const bool has_embedding = std::find(d.derived.begin(), d.derived.end(), "embedding") != d.derived.end();
  json.Str("path", d.entry.path).Str("blob", d.entry.blob_id).Str("kind", EntryKindName(d.entry.kind))
      .Int("mode", d.entry.mode).Int("size", static_cast<int64_t>(d.size)).Bool("is_binary", d.is_binary)
      .StrOrNull("language", d.language).Bool("has_content", d.has_content).Bool("has_embedding", has_embedding)
      .Str("updated_commit", d.updated_commit).Str("updated_at", d.updated_at);
}

}  // namespace

HttpResponse Api::ListDocuments(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {"limit", "cursor", "prefix"})) return Fail(*bad);
  int64_t limit = kDefaultPage;
  if (std::optional<Problem> bad = IntParam(call, "limit", 1, kMaxPage, &limit)) return Fail(*bad);
  std::string after;
  auto cursor = call.query.find("cursor");
  if (cursor != call.query.end() && !DecodeCursor(cursor->second, &after)) {
    Problem problem;
    problem.type = ProblemType::kInvalidParameter;
    problem.parameter = "cursor";
    problem.detail = "query parameter \"cursor\" is not a cursor this server gave out (use next_cursor)";
    return Fail(problem);
  }
  DocumentQuery query;
  query.after = after;
  query.limit = static_cast<int>(limit);
  auto prefix = call.query.find("prefix");
  if (prefix != call.query.end()) {
    if (!sync::IsValidUtf8(prefix->second) || prefix->second.find('\0') != std::string::npos) {
      Problem problem;
      problem.type = ProblemType::kInvalidParameter;
      problem.parameter = "prefix";
      problem.detail = "query parameter \"prefix\" must be UTF-8 text (the start of a path)";
      return Fail(problem);
    }
    query.path_prefix = prefix->second;
  }
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  Result<Storage*> storage = plugins_->FindStorage(project->storage);
  if (!storage.ok()) return Fail(Status::Unavailable("the project's storage is not loaded: " + storage.status().message()));
  Result<DocumentPage> page = (*storage)->ListDocuments(ProjectRef{project->id, project->tenant_id}, query);
  if (!page.ok()) return Fail(page.status());
  JsonWriter json;
  json.Begin().BeginArray("documents");
  for (const StoredDocument& d : page->documents) {
    json.writer().StartObject();
    WriteInfo(json, d);
    json.writer().EndObject();
  }
  const std::string next = page->more ? EncodeCursor(page->documents.back().entry.path) : std::string();
  json.EndArray().StrOrNull("next_cursor", next).End();
  return Json(200, json.Text());
}

HttpResponse Api::GetDocument(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  Result<Storage*> storage = plugins_->FindStorage(project->storage);
  if (!storage.ok()) return Fail(Status::Unavailable("the project's storage is not loaded: " + storage.status().message()));
  Result<StoredDocument> document = (*storage)->GetDocument(ProjectRef{project->id, project->tenant_id}, call.params["path"]);
  if (!document.ok()) return Fail(document.status());
  JsonWriter json;
  json.Begin();
  WriteInfo(json, *document);
  if (document->has_content) json.Str("content", document->content);
  else json.Null("content");
  json.End();
  return Json(200, json.Text());
}

}  // namespace tether::api
