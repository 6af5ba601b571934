#include "remote_embedder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "shared/http_client.h"

namespace tether::embeddings {
namespace {

constexpr int64_t kMaxWaitMs = 60000;

std::string PathOf(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kOpenAi: return "/v1/embeddings";
    case ProviderKind::kOllama: return "/api/embed";
    case ProviderKind::kTei: return "/embed";
    case ProviderKind::kHashing: break;
  }
  return "";
}

// The URL requests go to: the setting's, with the provider's path added
// unless it ends with it already ("http://h/v1" gets "/embeddings").
std::string EndpointOf(const Settings& s) {
  std::string url = s.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string path = PathOf(s.provider);
  if (url.size() >= path.size() && url.compare(url.size() - path.size(), path.size(), path) == 0) return url;
  if (s.provider == ProviderKind::kOpenAi && url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) {
    return url + "/embeddings";
  }
  return url + path;
}

// Retry-After in seconds (the HTTP-date form is not used by these
// services); -1 when absent or unreadable.
int64_t RetryAfterMs(const HttpResponse& response) {
  const std::string value = response.Header("retry-after");
  if (value.empty() || value.size() > 9) return -1;
  for (char c : value) {
    if (c < '0' || c > '9') return -1;
  }
  return std::min<int64_t>(std::atoll(value.c_str()) * 1000, kMaxWaitMs);
}

bool ReadVector(const rapidjson::Value& value, std::vector<float>* out) {
  if (!value.IsArray()) return false;
  out->clear();
  out->reserve(value.Size());
  for (const rapidjson::Value& x : value.GetArray()) {
    if (!x.IsNumber()) return false;
    const double d = x.GetDouble();
    if (!std::isfinite(d)) return false;
    out->push_back(static_cast<float>(d));
  }
  return true;
}

}  // namespace

struct RemoteEmbedder::Batch {
  HttpClient client;
  const std::vector<std::string>* texts;
  Batch(int timeout_seconds, const std::vector<std::string>* t)
      : client(10000, static_cast<int64_t>(timeout_seconds) * 1000), texts(t) {}
};

RemoteEmbedder::RemoteEmbedder(Settings settings) : settings_(std::move(settings)), endpoint_(EndpointOf(settings_)) {}

Result<std::vector<std::vector<float>>> RemoteEmbedder::Embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out(texts.size());
  Batch batch(settings_.timeout_seconds, &texts);
  const size_t size = static_cast<size_t>(settings_.batch_size);
  for (size_t first = 0; first < texts.size(); first += size) {
    TETHER_RETURN_IF_ERROR(EmbedBatch(&batch, first, std::min(size, texts.size() - first), &out));
  }
  return out;
}

Status RemoteEmbedder::EmbedBatch(Batch* batch, size_t first, size_t count, std::vector<std::vector<float>>* out) {
  const std::string provider = ProviderName(settings_.provider);
  rapidjson::StringBuffer body;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(body);
    w.StartObject();
    if (settings_.provider != ProviderKind::kTei) {
      w.Key("model");
      w.String(settings_.model.c_str(), static_cast<rapidjson::SizeType>(settings_.model.size()));
    }
    w.Key(settings_.provider == ProviderKind::kTei ? "inputs" : "input");
    w.StartArray();
    for (size_t i = first; i < first + count; ++i) {
      const std::string& t = (*batch->texts)[i];
      w.String(t.c_str(), static_cast<rapidjson::SizeType>(t.size()));
    }
    w.EndArray();
    if (settings_.provider == ProviderKind::kOllama) {
      w.Key("truncate");
      w.Bool(false);
    }
    w.EndObject();
  }
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint_;
  request.headers.push_back("Content-Type: application/json");
  request.headers.push_back("Accept: application/json");
  if (!settings_.api_key.empty()) request.headers.push_back("Authorization: Bearer " + settings_.api_key);
  request.body = body.GetString();

  int64_t backoff_ms = 500;
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> response = batch->client.Send(request);
    int64_t wait_ms = -1;
    std::string why;
    if (!response.ok()) {
      why = response.status().message();
    } else if (response->status == 429 || response->status >= 500) {
      why = provider + " answered HTTP " + std::to_string(response->status);
      wait_ms = RetryAfterMs(*response);
    } else if ((response->status == 413 || response->status == 400) && count > 1) {
      const size_t half = count / 2;
      TETHER_RETURN_IF_ERROR(EmbedBatch(batch, first, half, out));
      return EmbedBatch(batch, first + half, count - half, out);
    } else if (response->status == 413 || response->status == 400) {
      (*out)[first].clear();  // refused for good: no vector
      return Status::Ok();
    } else if (response->status == 401 || response->status == 403) {
      const std::string refused = provider + " refused the key" +
                                      (settings_.api_key_env.empty() ? std::string(" (no api_key_env is set)")
                                                                     : " from $" + settings_.api_key_env) +
                                  ": HTTP " + std::to_string(response->status);
      return response->status == 401 ? Status::Unauthenticated(refused) : Status::PermissionDenied(refused);
    } else if (response->status != 200) {
      return Status::Unavailable(provider + " answered HTTP " + std::to_string(response->status) + " at " + endpoint_);
    } else {
      return ReadAnswer(response->body, first, count, out);
    }
    if (attempt >= settings_.max_tries) {
      return Status::Unavailable("embedding " + std::to_string(count) + " texts at " + endpoint_ + " failed " +
                                 std::to_string(attempt) + " times; last: " + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms >= 0 ? wait_ms : backoff_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, kMaxWaitMs);
  }
}

Status RemoteEmbedder::ReadAnswer(const std::string& body, size_t first, size_t count,
                                  std::vector<std::vector<float>>* out) const {
  const std::string provider = ProviderName(settings_.provider);
  auto bad = [&](const std::string& what) {
    return Status::Unavailable(provider + " at " + endpoint_ + " answered " + what);
  };
  rapidjson::Document answer;
  answer.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());
  if (answer.HasParseError()) return bad("something that is not JSON");
  // Where each vector is: by "index" (openai), in order (ollama, tei).
  std::vector<const rapidjson::Value*> vectors(count, nullptr);
  if (settings_.provider == ProviderKind::kOpenAi) {
    if (!answer.IsObject() || !answer.HasMember("data") || !answer["data"].IsArray()) return bad("no \"data\" array");
    for (const rapidjson::Value& item : answer["data"].GetArray()) {
      if (!item.IsObject() || !item.HasMember("index") || !item["index"].IsUint() || !item.HasMember("embedding")) {
        return bad("a \"data\" item without \"index\" and \"embedding\"");
      }
      const unsigned index = item["index"].GetUint();
      if (index >= count || vectors[index] != nullptr) return bad("index " + std::to_string(index) + " twice or out of range");
      vectors[index] = &item["embedding"];
    }
  } else {
    const rapidjson::Value* list = &answer;
    if (settings_.provider == ProviderKind::kOllama) {
      if (!answer.IsObject() || !answer.HasMember("embeddings")) return bad("no \"embeddings\"");
      list = &answer["embeddings"];
    }
    if (!list->IsArray() || list->Size() != count) return bad("another number of vectors than texts");
    for (size_t i = 0; i < count; ++i) vectors[i] = &(*list)[static_cast<rapidjson::SizeType>(i)];
  }
  for (size_t i = 0; i < count; ++i) {
    if (vectors[i] == nullptr) return bad("no vector for text " + std::to_string(first + i + 1));
    std::vector<float>& v = (*out)[first + i];
    if (!ReadVector(*vectors[i], &v)) return bad("a vector that is not an array of finite numbers");
    if (v.size() != static_cast<size_t>(settings_.dimensions)) {
      return bad("a vector of " + std::to_string(v.size()) + " dimensions, not the " +
                 std::to_string(settings_.dimensions) + " of the settings");
    }
  }
  return Status::Ok();
}

}  // namespace tether::embeddings
