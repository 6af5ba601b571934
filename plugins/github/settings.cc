#include "settings.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <utility>

#include "http_url.h"
#include "tether/json_depth.h"

namespace tether {
namespace github {
namespace {

using Value = rapidjson::Value;

// Parses settings and builds messages that name the plugin and the key.
class SettingsParser {
 public:
  explicit SettingsParser(const std::string& plugin_name)
      : prefix_("settings of plugin '" + plugin_name + "' (github): ") {}

  Result<GitHubSettings> Parse(const std::string& json) {
    std::string compact;
    for (char c : json) {
      if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
    }
    rapidjson::Document document;
    if (!compact.empty() && compact != "null") {
      const size_t too_deep = JsonDepthExceededAt(json);
      if (too_deep != std::string::npos) {
        return Error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels at offset " +
                     std::to_string(too_deep));
      }
      document.Parse(json.c_str(), json.size());
      if (document.HasParseError()) {
        return Error(std::string("not valid JSON at offset ") +
                     std::to_string(document.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(document.GetParseError()));
      }
      if (!document.IsObject()) return Error("must be a JSON object");
    } else {
      document.SetObject();
    }
    GitHubSettings settings;
    TETHER_RETURN_IF_ERROR(ParseTop(document, &settings));
    TETHER_RETURN_IF_ERROR(Finish(&settings));
    return settings;
  }

 private:
  Status Error(const std::string& message) const {
    return Status::InvalidArgument(prefix_ + message);
  }

  Status CheckKeys(const Value& object, const std::set<std::string>& known,
                   const std::string& where) const {
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
      const std::string key(it->name.GetString(), it->name.GetStringLength());
      if (known.count(key) == 0) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        return Error("unknown key \"" + where + key + "\" (known keys: " + list + ")");
      }
    }
    return Status::Ok();
  }

  Status String(const Value& value, const std::string& key, std::string* out) const {
    if (!value.IsString() || value.GetStringLength() == 0) {
      return Error("\"" + key + "\" must be a non-empty string");
    }
    out->assign(value.GetString(), value.GetStringLength());
    if (out->find('\0') != std::string::npos) return Error("\"" + key + "\" contains a NUL byte");
    return Status::Ok();
  }

  Status Integer(const Value& value, const std::string& key, int64_t min, int64_t max,
                 int64_t* out) const {
    if (!value.IsInt64() || value.GetInt64() < min || value.GetInt64() > max) {
      return Error("\"" + key + "\" must be an integer from " + std::to_string(min) + " to " +
                   std::to_string(max));
    }
    *out = value.GetInt64();
    return Status::Ok();
  }

  Status ParseTop(const Value& object, GitHubSettings* s) const {
    TETHER_RETURN_IF_ERROR(CheckKeys(
        object,
        {"api_base_url", "token_env", "token_file", "app", "cache_dir", "connect_timeout_ms",
         "request_timeout_ms", "max_retries", "retry_initial_delay_ms", "retry_max_delay_ms",
         "secondary_rate_limit_min_seconds"},
        ""));
    for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
      const std::string key(it->name.GetString(), it->name.GetStringLength());
      const Value& v = it->value;
      int64_t number = 0;
      if (key == "api_base_url") {
        TETHER_RETURN_IF_ERROR(String(v, key, &s->api_base_url));
      } else if (key == "token_env") {
        TETHER_RETURN_IF_ERROR(String(v, key, &s->token_env));
      } else if (key == "token_file") {
        TETHER_RETURN_IF_ERROR(String(v, key, &s->token_file));
      } else if (key == "cache_dir") {
        TETHER_RETURN_IF_ERROR(String(v, key, &s->cache_dir));
      } else if (key == "app") {
        AppSettings app;
        TETHER_RETURN_IF_ERROR(ParseApp(v, &app));
        s->app = std::move(app);
      } else if (key == "connect_timeout_ms") {
        TETHER_RETURN_IF_ERROR(Integer(v, key, 1, 600000, &s->connect_timeout_ms));
      } else if (key == "request_timeout_ms") {
        TETHER_RETURN_IF_ERROR(Integer(v, key, 1, 3600000, &s->request_timeout_ms));
      } else if (key == "max_retries") {
        TETHER_RETURN_IF_ERROR(Integer(v, key, 0, 20, &number));
        s->max_retries = static_cast<int>(number);
      } else if (key == "retry_initial_delay_ms") {
        TETHER_RETURN_IF_ERROR(Integer(v, key, 0, 600000, &s->retry_initial_delay_ms));
      } else if (key == "retry_max_delay_ms") {
        TETHER_RETURN_IF_ERROR(Integer(v, key, 0, 3600000, &s->retry_max_delay_ms));
      } else if (key == "secondary_rate_limit_min_seconds") {
        TETHER_RETURN_IF_ERROR(Integer(v, key, 1, 86400, &s->secondary_rate_limit_min_seconds));
      }
    }
    return Status::Ok();
  }

  Status ParseApp(const Value& object, AppSettings* app) const {
    if (!object.IsObject()) {
      return Error("\"app\" must be an object with app_id, installation_id and private_key_file");
    }
    TETHER_RETURN_IF_ERROR(
        CheckKeys(object, {"app_id", "installation_id", "private_key_file"}, "app."));
    for (const char* required : {"app_id", "installation_id", "private_key_file"}) {
      if (!object.HasMember(required)) return Error("\"app." + std::string(required) + "\" is missing");
    }
    const Value& id = object["app_id"];
    if (id.IsInt64() && id.GetInt64() > 0) {
      app->app_id = std::to_string(id.GetInt64());
      app->app_id_is_number = true;
    } else if (id.IsString() && id.GetStringLength() > 0) {
      app->app_id.assign(id.GetString(), id.GetStringLength());
      app->app_id_is_number = false;
      for (char c : app->app_id) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') {
          return Error("\"app.app_id\" has a character an app id does not have");
        }
      }
    } else {
      return Error("\"app.app_id\" must be the App's id (a positive integer) or its client id");
    }
    TETHER_RETURN_IF_ERROR(Integer(object["installation_id"], "app.installation_id", 1,
                                   INT64_MAX, &app->installation_id));
    return String(object["private_key_file"], "app.private_key_file", &app->private_key_file);
  }

  Status Finish(GitHubSettings* s) const {
    const int auth_kinds =
        static_cast<int>(!s->token_env.empty()) + static_cast<int>(!s->token_file.empty()) +
        static_cast<int>(s->app.has_value());
    if (auth_kinds > 1) {
      return Error("give at most one of \"token_env\", \"token_file\" and \"app\"");
    }
    while (!s->api_base_url.empty() && s->api_base_url.back() == '/') s->api_base_url.pop_back();
    HttpUrl url;
    TETHER_RETURN_IF_ERROR(ParseHttpUrl(s->api_base_url, prefix_ + "\"api_base_url\"", &url));
    if (url.path.find('?') != std::string::npos) {
      return Error("\"api_base_url\" must not have a query string");
    }
    s->api_base_url = url.Origin() + url.path;  // scheme and host in lower case
    if (url.scheme == "http" && !IsLoopbackHost(url.host)) {
      return Error("\"api_base_url\" must use https (plain http is only accepted for a loopback "
                   "host): a token must not travel unencrypted");
    }
    if (s->retry_max_delay_ms < s->retry_initial_delay_ms) {
      return Error("\"retry_max_delay_ms\" is smaller than \"retry_initial_delay_ms\"");
    }
    if (s->cache_dir.empty()) {
      const char* xdg = std::getenv("XDG_CACHE_HOME");
      const char* home = std::getenv("HOME");
      if (xdg != nullptr && xdg[0] == '/') {
        s->cache_dir = std::string(xdg) + "/tether/github";
      } else if (home != nullptr && home[0] == '/') {
        s->cache_dir = std::string(home) + "/.cache/tether/github";
      } else {
        return Error("\"cache_dir\" is not set and neither $XDG_CACHE_HOME nor $HOME is; "
                     "give a cache_dir for the repository mirrors");
      }
    }
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(s->cache_dir, error);
    if (error) return Error("\"cache_dir\" '" + s->cache_dir + "': " + error.message());
    s->cache_dir = absolute.lexically_normal().string();
    while (s->cache_dir.size() > 1 && s->cache_dir.back() == '/') s->cache_dir.pop_back();
    return Status::Ok();
  }

  const std::string prefix_;
};

}  // namespace

Result<GitHubSettings> ParseSettings(const std::string& json, const std::string& plugin_name) {
  return SettingsParser(plugin_name).Parse(json);
}

}  // namespace github
}  // namespace tether
