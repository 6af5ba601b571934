// The github plugin's settings: the "settings" object of its entry in the
// engine's configuration, parsed and checked once when the plugin is made.
//
//   {
//     "api_base_url": "https://api.github.com",        GHE: "https://ghe.example/api/v3"
//     "token_env": "GITHUB_TOKEN",                      or "token_file": "/run/secrets/gh",
//                                                       or "app": {...}, or none (public only)
//     "app": {"app_id": 123, "installation_id": 456, "private_key_file": "/etc/tether/app.pem"},
//     "cache_dir": "/var/cache/tether/github",          default $XDG_CACHE_HOME/tether/github
//                                                       or ~/.cache/tether/github
//     "connect_timeout_ms": 10000, "request_timeout_ms": 60000,
//     "max_retries": 3, "retry_initial_delay_ms": 1000, "retry_max_delay_ms": 30000,
//     "secondary_rate_limit_min_seconds": 60
//   }
//
// Unknown keys, wrong types and out-of-range values are refused with
// InvalidArgument naming the key, so a typo never silently falls back to a
// default. At most one of token_env, token_file and app may be given. The
// token itself is not read here (see credentials.h): a rotated secret is
// picked up by the next Open without a restart.
//
// Thread safety: a parsed GitHubSettings is an immutable value once made.
#ifndef TETHER_PLUGINS_GITHUB_SETTINGS_H_
#define TETHER_PLUGINS_GITHUB_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "tether/status.h"

namespace tether {
namespace github {

// GitHub App authentication: a JWT signed with the App's private key,
// exchanged for an installation token.
struct AppSettings {
  // The App's id (a number) or its client id (a string such as "Iv1.0a1b");
  // GitHub accepts either as the JWT's "iss".
  std::string app_id;
  bool app_id_is_number = true;
  int64_t installation_id = 0;
  std::string private_key_file;  // PEM, RSA
};

struct GitHubSettings {
  std::string api_base_url = "https://api.github.com";  // no trailing '/'
  std::string token_env;   // name of an environment variable holding a token
  std::string token_file;  // path of a file holding a token
  std::optional<AppSettings> app;
  std::string cache_dir;   // absolute; bare mirrors and REST caches live here

  int64_t connect_timeout_ms = 10000;
  int64_t request_timeout_ms = 60000;  // one REST request, start to end
  int max_retries = 3;                 // for 5xx and network errors
  int64_t retry_initial_delay_ms = 1000;
  int64_t retry_max_delay_ms = 30000;
  // A secondary rate limit without retry-after waits this long, doubling on
  // each further one in a row (GitHub asks for at least a minute).
  int64_t secondary_rate_limit_min_seconds = 60;
};

// Parses `json` (the settings object; "", "null" and "{}" mean all
// defaults). `plugin_name` is used in messages. Reads $XDG_CACHE_HOME and
// $HOME for the default cache_dir; InvalidArgument when neither is set and
// no cache_dir is given.
Result<GitHubSettings> ParseSettings(const std::string& json, const std::string& plugin_name);

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_SETTINGS_H_
