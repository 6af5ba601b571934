#include "settings.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "remote_url.h"
#include "shared/plugin_settings.h"

namespace tether {
namespace git_remote {
namespace {

constexpr const char* kKeys[] = {"cache_dir",     "protocols",       "hosts",
                                 "username",      "password_env",    "password_file",
                                 "ssh_key_file",  "ssh_known_hosts_file", "ssh_command",
                                 "git",           "timeout_seconds", "fetch_timeout_seconds",
                                 "stall_seconds"};

bool Printable(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x20 && u != 0x7f;
  });
}

}  // namespace

Result<GitRemoteSettings> ParseSettings(const std::string& json, const std::string& plugin_name) {
  const std::string context = "settings of plugin '" + plugin_name + "' (git-remote): ";
  auto error = [&](const std::string& message) { return Status::InvalidArgument(context + message); };
  rapidjson::Document document;
  TETHER_RETURN_IF_ERROR(ParsePluginSettings(context, json, &document));

  GitRemoteSettings s;
  auto text = [&](const rapidjson::Value& value, const std::string& key, std::string* out) -> Status {
    if (!value.IsString()) return error("\"" + key + "\" must be a string");
    *out = std::string(value.GetString(), value.GetStringLength());
    if (out->empty() || !Printable(*out)) {
      return error("\"" + key + "\" must be a non-empty string without control characters");
    }
    return Status::Ok();
  };
  auto path = [&](const rapidjson::Value& value, const std::string& key, std::string* out) -> Status {
    TETHER_RETURN_IF_ERROR(text(value, key, out));
    if ((*out)[0] != '/') return error("\"" + key + "\" must be an absolute path, not '" + *out + "'");
    return Status::Ok();
  };
  auto seconds = [&](const rapidjson::Value& value, const std::string& key, int64_t max, int64_t* out) -> Status {
    if (!value.IsInt64() || value.GetInt64() < 1 || value.GetInt64() > max) {
      return error("\"" + key + "\" must be a whole number of seconds from 1 to " + std::to_string(max));
    }
    *out = value.GetInt64();
    return Status::Ok();
  };
  auto list = [&](const rapidjson::Value& value, const std::string& key, std::vector<std::string>* out) -> Status {
    if (!value.IsArray() || value.Empty()) return error("\"" + key + "\" must be a non-empty list of strings");
    out->clear();
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      std::string item;
      TETHER_RETURN_IF_ERROR(text(value[i], key + "[" + std::to_string(i) + "]", &item));
      out->push_back(AsciiLower(item));
    }
    return Status::Ok();
  };

  if (document.IsObject()) {
    for (auto member = document.MemberBegin(); member != document.MemberEnd(); ++member) {
      const std::string key(member->name.GetString(), member->name.GetStringLength());
      const rapidjson::Value& v = member->value;
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
        std::string known;
        for (const char* k : kKeys) known += (known.empty() ? "" : ", ") + std::string(k);
        return error("unknown key \"" + key + "\" (the settings are " + known + ")");
      }
      if (key == "cache_dir") TETHER_RETURN_IF_ERROR(path(v, key, &s.cache_dir));
      if (key == "protocols") {
        TETHER_RETURN_IF_ERROR(list(v, key, &s.protocols));
        for (const std::string& protocol : s.protocols) {
          if (protocol != "https" && protocol != "http" && protocol != "ssh" && protocol != "git") {
            return error("\"protocols\" lists '" + protocol + "': the protocols are https, http, ssh and git");
          }
        }
      }
      if (key == "hosts") TETHER_RETURN_IF_ERROR(list(v, key, &s.hosts));
      if (key == "username") TETHER_RETURN_IF_ERROR(text(v, key, &s.username));
      if (key == "password_env") TETHER_RETURN_IF_ERROR(text(v, key, &s.password_env));
      if (key == "password_file") TETHER_RETURN_IF_ERROR(path(v, key, &s.password_file));
      if (key == "ssh_key_file") TETHER_RETURN_IF_ERROR(path(v, key, &s.ssh_key_file));
      if (key == "ssh_known_hosts_file") TETHER_RETURN_IF_ERROR(path(v, key, &s.ssh_known_hosts_file));
      if (key == "ssh_command") TETHER_RETURN_IF_ERROR(text(v, key, &s.ssh_command));
      if (key == "git") TETHER_RETURN_IF_ERROR(text(v, key, &s.git));
      if (key == "timeout_seconds") TETHER_RETURN_IF_ERROR(seconds(v, key, 3600, &s.timeout_seconds));
      if (key == "fetch_timeout_seconds") TETHER_RETURN_IF_ERROR(seconds(v, key, 86400, &s.fetch_timeout_seconds));
      if (key == "stall_seconds") TETHER_RETURN_IF_ERROR(seconds(v, key, 3600, &s.stall_seconds));
    }
  }
  if (!s.password_env.empty() && !s.password_file.empty()) {
    return error("give one of \"password_env\" and \"password_file\", not both");
  }
  if (s.has_credentials() && s.hosts.empty()) {
    return error("credentials are set but \"hosts\" is not: list the servers they are for, so that "
                 "a project naming another server never receives them");
  }
  for (const std::string& host : s.hosts) {
    if (host[0] == '-' || host.find_first_of("/@ ") != std::string::npos) {
      return error("\"hosts\" lists '" + host + "', which is not a host or host:port");
    }
  }
  if (s.cache_dir.empty()) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && xdg[0] == '/') {
      s.cache_dir = std::string(xdg) + "/tether/git-remote";
    } else if (home != nullptr && home[0] == '/') {
      s.cache_dir = std::string(home) + "/.cache/tether/git-remote";
    } else {
      return error("\"cache_dir\" is not set and neither $XDG_CACHE_HOME nor $HOME is; give a "
                   "cache_dir for the repository mirrors");
    }
  }
  return s;
}

}  // namespace git_remote
}  // namespace tether
