#include "rest_cache.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "file_util.h"
#include "git-common/file_lock.h"
#include "tether/json_depth.h"

namespace tether {
namespace github {
namespace {

constexpr int kFormatVersion = 1;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Value = rapidjson::Value;

void Put(Writer* w, const char* key, const std::string& value) {
  w->Key(key);
  w->String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string Get(const Value& object, const char* key) {
  if (!object.IsObject()) return "";
  auto found = object.FindMember(key);
  if (found == object.MemberEnd() || !found->value.IsString()) return "";
  return std::string(found->value.GetString(), found->value.GetStringLength());
}

std::string Serialize(const RestCacheData& data) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("version");
  w.Int(kFormatVersion);
  if (data.repository) {
    const CachedRepository& r = *data.repository;
    w.Key("repository");
    w.StartObject();
    Put(&w, "etag", r.etag);
    w.Key("id");
    w.Int64(r.id);
    Put(&w, "full_name", r.full_name);
    Put(&w, "default_branch", r.default_branch);
    Put(&w, "clone_url", r.clone_url);
    w.EndObject();
  }
  w.Key("branches");
  w.StartObject();
  for (const auto& [name, branch] : data.branches) {
    w.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
    w.StartObject();
    Put(&w, "etag", branch.etag);
    Put(&w, "head", branch.head);
    w.EndObject();
  }
  w.EndObject();
  w.Key("branch_pages");
  w.StartArray();
  for (const CachedPage& page : data.pages) {
    w.StartObject();
    Put(&w, "url", page.url);
    Put(&w, "etag", page.etag);
    Put(&w, "next", page.next);
    w.Key("branches");
    w.StartArray();
    for (const auto& [name, head] : page.branches) {
      w.StartArray();
      w.String(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
      w.String(head.c_str(), static_cast<rapidjson::SizeType>(head.size()));
      w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

RestCacheData Parse(const std::string& text) {
  RestCacheData data;
  if (!CheckJsonDepth(text, "").ok()) return data;  // not ours: start over
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  if (document.HasParseError() || !document.IsObject()) return data;
  auto version = document.FindMember("version");
  if (version == document.MemberEnd() || !version->value.IsInt() ||
      version->value.GetInt() != kFormatVersion) {
    return data;  // another format: start over
  }
  auto repository = document.FindMember("repository");
  if (repository != document.MemberEnd() && repository->value.IsObject()) {
    const Value& r = repository->value;
    CachedRepository cached;
    cached.etag = Get(r, "etag");
    auto id = r.FindMember("id");
    cached.id = id != r.MemberEnd() && id->value.IsInt64() ? id->value.GetInt64() : 0;
    cached.full_name = Get(r, "full_name");
    cached.default_branch = Get(r, "default_branch");
    cached.clone_url = Get(r, "clone_url");
    if (!cached.clone_url.empty()) data.repository = std::move(cached);
  }
  auto branches = document.FindMember("branches");
  if (branches != document.MemberEnd() && branches->value.IsObject()) {
    for (auto it = branches->value.MemberBegin(); it != branches->value.MemberEnd(); ++it) {
      CachedBranch branch{Get(it->value, "etag"), Get(it->value, "head")};
      if (branch.etag.empty() || branch.head.empty()) continue;
      data.branches[std::string(it->name.GetString(), it->name.GetStringLength())] = branch;
    }
  }
  auto pages = document.FindMember("branch_pages");
  if (pages != document.MemberEnd() && pages->value.IsArray()) {
    for (const Value& p : pages->value.GetArray()) {
      CachedPage page;
      page.url = Get(p, "url");
      page.etag = Get(p, "etag");
      page.next = Get(p, "next");
      if (page.url.empty() || page.etag.empty()) return RestCacheData{data.repository, data.branches, {}};
      auto items = p.FindMember("branches");
      if (items == p.MemberEnd() || !items->value.IsArray()) {
        return RestCacheData{data.repository, data.branches, {}};
      }
      for (const Value& item : items->value.GetArray()) {
        if (!item.IsArray() || item.Size() != 2 || !item[0].IsString() || !item[1].IsString()) {
          return RestCacheData{data.repository, data.branches, {}};
        }
        page.branches.emplace_back(std::string(item[0].GetString(), item[0].GetStringLength()),
                                   std::string(item[1].GetString(), item[1].GetStringLength()));
      }
      data.pages.push_back(std::move(page));
    }
  }
  return data;
}

}  // namespace

RestCache::RestCache(std::string path) : path_(std::move(path)) {}

RestCacheData RestCache::Load() const {
  std::string text;
  if (!ReadWholeFile(path_, &text).ok()) return RestCacheData();
  return Parse(text);
}

Status RestCache::Update(const std::function<void(RestCacheData*)>& change) {
  git_common::FileLock lock;
  TETHER_RETURN_IF_ERROR(lock.Lock(path_ + ".lock"));
  RestCacheData data = Load();
  change(&data);
  return WriteFileAtomically(path_, Serialize(data));
}

}  // namespace github
}  // namespace tether
