#include "settings.h"

#include <cstdlib>

#include <rapidjson/document.h>

#include "chunker.h"
#include "shared/plugin_settings.h"

namespace tether::embeddings {
namespace {

constexpr int kHashingDimensions = 256;

bool PrintableWord(const std::string& text) {
  if (text.empty() || text.size() > 100) return false;
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

const char* ProviderName(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kOpenAi: return "openai";
    case ProviderKind::kOllama: return "ollama";
    case ProviderKind::kTei: return "tei";
    case ProviderKind::kHashing: return "hashing";
  }
  return "unknown";
}

Result<Settings> ParseSettings(const std::string& plugin_name, const std::string& json) {
  const std::string prefix = "settings of plugin '" + plugin_name + "' (embeddings): ";
  rapidjson::Document document;
  TETHER_RETURN_IF_ERROR(ParsePluginSettings(prefix, json, &document));
  Settings s;
  bool has_provider = false;
  for (auto m = document.MemberBegin(); m != document.MemberEnd(); ++m) {
    const std::string key(m->name.GetString(), m->name.GetStringLength());
    const rapidjson::Value& v = m->value;
    auto text = [&](std::string* out) -> Status {
      if (!v.IsString()) return Status::InvalidArgument(prefix + "\"" + key + "\" must be a string");
      *out = std::string(v.GetString(), v.GetStringLength());
      return Status::Ok();
    };
    auto number = [&](int* out, int low, int high) -> Status {
      if (!v.IsInt() || v.GetInt() < low || v.GetInt() > high) {
        return Status::InvalidArgument(prefix + "\"" + key + "\" must be a whole number from " + std::to_string(low) +
                                       " to " + std::to_string(high));
      }
      *out = v.GetInt();
      return Status::Ok();
    };
    if (key == "provider") {
      std::string name;
      TETHER_RETURN_IF_ERROR(text(&name));
      if (name == "openai") s.provider = ProviderKind::kOpenAi;
      else if (name == "ollama") s.provider = ProviderKind::kOllama;
      else if (name == "tei") s.provider = ProviderKind::kTei;
      else if (name == "hashing") s.provider = ProviderKind::kHashing;
      else return Status::InvalidArgument(prefix + "\"provider\" must be \"openai\", \"ollama\", \"tei\" or \"hashing\"");
      has_provider = true;
    } else if (key == "url") {
      TETHER_RETURN_IF_ERROR(text(&s.url));
    } else if (key == "model") {
      TETHER_RETURN_IF_ERROR(text(&s.model));
    } else if (key == "api_key_env") {
      TETHER_RETURN_IF_ERROR(text(&s.api_key_env));
    } else if (key == "dimensions") {
      TETHER_RETURN_IF_ERROR(number(&s.dimensions, 1, 65536));
    } else if (key == "batch_size") {
      TETHER_RETURN_IF_ERROR(number(&s.batch_size, 1, 2048));
    } else if (key == "max_chunk_chars") {
      TETHER_RETURN_IF_ERROR(number(&s.max_chunk_chars, 200, 100000));
    } else if (key == "max_tries") {
      TETHER_RETURN_IF_ERROR(number(&s.max_tries, 1, 20));
    } else if (key == "timeout_seconds") {
      TETHER_RETURN_IF_ERROR(number(&s.timeout_seconds, 1, 3600));
    } else {
      return Status::InvalidArgument(prefix + "unknown key \"" + key +
                                     "\" (known: provider, url, model, api_key_env, dimensions, batch_size,"
                                     " max_chunk_chars, max_tries, timeout_seconds)");
    }
  }
  if (!has_provider) {
    return Status::InvalidArgument(prefix + "\"provider\" is required: \"openai\", \"ollama\", \"tei\" or \"hashing\"");
  }
  if (s.provider == ProviderKind::kHashing) {
    if (!s.url.empty() || !s.model.empty() || !s.api_key_env.empty()) {
      return Status::InvalidArgument(prefix + "the hashing provider runs in process: it takes no url, model or api_key_env");
    }
    if (s.dimensions == 0) s.dimensions = kHashingDimensions;
    if (s.batch_size == 0) s.batch_size = 256;
    return s;
  }
  const std::string provider = ProviderName(s.provider);
  if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(prefix + "\"url\" must be the " + provider + " service's http:// or https:// URL");
  }
  if (s.url.find('@') != std::string::npos) {
    return Status::InvalidArgument(prefix + "\"url\" must not hold credentials: name a variable in \"api_key_env\"");
  }
  if (s.provider != ProviderKind::kTei && !PrintableWord(s.model)) {
    return Status::InvalidArgument(prefix + "\"model\" is required for " + provider +
                                   ": the model's name, printable ASCII without spaces");
  }
  if (s.provider == ProviderKind::kTei && s.model.empty()) s.model = "tei";
  if (!PrintableWord(s.model)) {
    return Status::InvalidArgument(prefix + "\"model\" must be printable ASCII without spaces");
  }
  if (s.dimensions == 0) {
    return Status::InvalidArgument(prefix + "\"dimensions\" is required for " + provider +
                                   ": the length of the model's vectors (vectors of two sizes are never mixed)");
  }
  const int limit = s.provider == ProviderKind::kTei ? 32 : 2048;
  if (s.batch_size == 0 || s.batch_size > limit) s.batch_size = limit;
  if (!s.api_key_env.empty()) {
    const char* value = std::getenv(s.api_key_env.c_str());
    if (value == nullptr || *value == '\0') {
      return Status::InvalidArgument(prefix + "\"api_key_env\" names $" + s.api_key_env + ", which is not set");
    }
    s.api_key = value;
  }
  return s;
}

std::string SpaceOf(const Settings& s) {
  if (s.provider == ProviderKind::kHashing) return "hashing/v1/" + std::to_string(s.dimensions);
  return std::string(ProviderName(s.provider)) + "/" + s.model + "/" + std::to_string(s.dimensions);
}

std::optional<Settings> SettingsForSpace(const Settings& current, const std::string& space) {
  // PROVIDER/MODEL/DIMENSIONS; a model's name may hold slashes itself.
  const size_t first = space.find('/'), last = space.rfind('/');
  if (first == std::string::npos || last == first) return std::nullopt;
  if (space.compare(0, first, ProviderName(current.provider)) != 0) return std::nullopt;
  const std::string digits = space.substr(last + 1);
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  Settings other = current;
  other.dimensions = std::stoi(digits);
  if (current.provider != ProviderKind::kHashing) other.model = space.substr(first + 1, last - first - 1);
  if (other.dimensions < 1 || other.dimensions > 65536 || other.model.empty() != current.model.empty()) {
    return std::nullopt;
  }
  if (SpaceOf(other) != space) return std::nullopt;  // e.g. another version of the lexical embedder
  return other;
}

std::string SettingsHash(const Settings& s) {
  // Printable, no spaces, at most 64 bytes: a digest of what shapes the
  // outputs.
  return Sha256Hex(SpaceOf(s) + "|" + std::to_string(s.max_chunk_chars)).substr(0, 16);
}

}  // namespace tether::embeddings
