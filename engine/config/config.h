// The engine's configuration: one JSON file, validated against the JSON
// Schema shipped with the engine (engine/config/config.schema.json, installed
// as share/tether/config.schema.json and embedded in the binary).
//
//   { "database": "sqlite:tether.db",
//     "plugins": [ {"name": "local-git", "kind": "provider"},
//                  {"name": "sql-storage", "kind": "storage",
//                   "settings": {...}},
//                  {"name": "x", "path": "/opt/x/libx.so"} ],
//     "defaults": {"provider": "local-git", "storage": "sql-storage",
//                  "max_content_bytes": 1048576, "lease_seconds": 3600},
//     "server": {"listen": "127.0.0.1:8080", "io_threads": 2, "api_workers": 4,
//                "sync_workers": 2, "sync_queue": 16,
//                "allow_unauthenticated_health": false, "log_format": "text"} }
//
// Every JSON string value may reference environment variables as ${NAME};
// "$${" stands for a literal "${". References are expanded after parsing, so
// a value cannot inject JSON. Expanded values may be secrets: no error
// message ever contains an expanded value, nor a string that held a
// reference.
//
// Errors: every message starts with the source (the file name, or the
// `source_name` given) and names where the problem is: "<source>:<line>:
// <column>: <what>" for JSON syntax, "<source>: <JSON pointer>: <what>" for
// everything else (e.g. "tether.json: /plugins/1/kind: must be one of
// "provider", "storage", "analyzer" (schema keyword "enum")").
//
// Thread safety: every function here is a pure function of its arguments,
// except that ResolveConfigPath and LoadConfig read the process environment
// (std::getenv), which must not be modified concurrently.
#ifndef TETHER_ENGINE_CONFIG_CONFIG_H_
#define TETHER_ENGINE_CONFIG_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/log/log.h"
#include "tether/status.h"

namespace tether::config {

// One entry of "plugins".
struct PluginConfig {
  // Plugin name, matching ^[a-z0-9][a-z0-9._-]*$. Loaded from the bundled
  // plugin folder as lib<name>.so, unless `path` is given.
  std::string name;
  // Explicit .so path; "" when absent. A relative path in the file is
  // resolved against the config file's folder, so this is absolute.
  std::string path;
  // Expected kind: "provider", "storage" or "analyzer"; "" means any.
  std::string kind;
  // The plugin's "settings" object re-serialized as compact JSON (with
  // ${NAME} references expanded), "{}" when absent. May hold secrets.
  std::string settings_json = "{}";
};

// "defaults": what the engine uses when a project does not say.
struct Defaults {
  std::string provider = "local-git";
  std::string storage = "sql-storage";
  uint64_t max_content_bytes = 1048576;  // text larger than this keeps metadata only
  int64_t lease_seconds = 3600;          // how long a sync holds a project's lease
  uint64_t analysis_max_bytes = 1048576; // bigger files are not analysed (skipped by rule)
  int64_t analysis_time_limit_ms = 30000;  // per file and analyzer
  int analysis_threads = 0;              // files analysed at once; 0: the machine's cores
  int analysis_page_size = 256;          // files read, marked and stored together
  // What a project without its own schedule follows (engine/schedule):
  // "off", "adaptive" or an interval ("5m"); checked when the config loads.
  std::string schedule = "off";
  int64_t schedule_min_interval_seconds = 45;
  int64_t schedule_max_interval_seconds = 28800;
};

// "server": `tether serve`.
struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // "HOST:PORT", "[V6]:PORT"; checked by the server
  int io_threads = 2;                     // network event loop threads
  int api_workers = 4;                    // threads answering API requests
  int sync_workers = 2;                   // API-started syncs running at once
  int sync_queue = 16;                    // API-started syncs waiting for a worker
  int sse_heartbeat_ms = 15000;           // ": heartbeat" comment on each event stream
  int sse_client_queue = 1024;            // events a stream may have unsent before it is dropped
  int events_retention_days = 30;         // events older are deleted; 0 keeps them
  int64_t events_max_rows = 0;            // at most this many events are kept; 0: no limit
  int events_prune_seconds = 300;         // how often retention runs (also at start)
  int schedule_poll_ms = 1000;            // how often due schedules are looked for; 0: none run
  int64_t analysis_gc_seconds = 21600;    // how often analysis results are collected; 0: never
  int64_t analysis_gc_grace_seconds = 604800;  // unused results older than this go
  bool allow_unauthenticated_health = false;  // /healthz without a token from non-loopback peers
  std::string github_webhook_secret;          // POST /webhooks/github; "" refuses every delivery. A secret.
  logging::LogFormat log_format = logging::LogFormat::kText;  // `tether serve`'s log lines; --log-format wins
  // After SIGTERM or SIGINT, how long `tether serve` waits for its cancelled
  // syncs (and the last responses) before it exits anyway, with code 1.
  int shutdown_grace_seconds = 20;
  // Semantic search's vectors kept in memory (engine/search/semantic_index.h).
  int64_t search_cache_mb = 1024;
};

// "workers": the processes that run syncs and the limits they share
// through the database (engine/workers).
struct WorkersConfig {
  int64_t lease_timeout_seconds = 30;  // PostgreSQL: a lease not renewed for this long is taken over
  int max_running_syncs = 0;           // over all workers; 0: no limit
  // Provider plugin name -> at most this many worker-started syncs at once.
  std::vector<std::pair<std::string, int>> provider_limits;
  std::string host_id;  // "": the host name
  int poll_ms = 1000;   // an idle worker's look for work
};

struct Config {
  // Absolute path of the file it came from; "" when parsed from a string.
  std::filesystem::path file;
  // "sqlite:/ABSOLUTE/PATH" (a relative path in the file is resolved against
  // the config file's folder; "sqlite::memory:" is kept as is), or a
  // "postgresql://..." / "postgres://..." URL as written (expanded). May hold
  // a password: never log it.
  std::string database_url;
  std::vector<PluginConfig> plugins;  // in file order; names are unique
  Defaults defaults;
  ServerConfig server;
  WorkersConfig workers;
};

// The config file to use: `flag_value` (the --config flag) if non-empty, else
// $TETHER_CONFIG if set and non-empty, else ./tether.json. The path is
// returned as given (not made absolute); the file need not exist.
std::filesystem::path ResolveConfigPath(const std::string& flag_value);

// Reads, parses, validates and expands `file`, resolving relative paths in it
// against the file's folder; ${NAME} is looked up in the process environment.
// Returns NotFound when the file does not exist (the message names it; saying
// how the path was chosen is the caller's business), InvalidArgument for
// anything else wrong (unreadable, syntax, schema, semantics, unset
// variable).
tether::Result<Config> LoadConfig(const std::filesystem::path& file);

// As LoadConfig, on `text`. `source_name` starts every error message;
// relative paths are resolved against `base_dir` (made absolute against the
// current directory if it is relative); `env` looks up an environment
// variable and returns nullopt when it is unset. The result's `file` is "".
// Returns InvalidArgument for anything wrong.
tether::Result<Config> ParseConfig(
    const std::string& text, const std::string& source_name, const std::filesystem::path& base_dir,
    const std::function<std::optional<std::string>(const std::string&)>& env);

// A starter config: pretty-printed JSON without comments, valid against the
// schema, with `database_url` written verbatim (a ${NAME} in it stays a
// reference, expanded at load time) and both bundled plugins listed
// (local-git as provider, sql-storage as storage) along with the defaults.
std::string StarterConfig(const std::string& database_url);

// The JSON Schema (draft-04) every config file is validated against, as
// shipped in share/tether/config.schema.json. Static storage; never fails.
std::string_view ConfigSchema();

}  // namespace tether::config

#endif  // TETHER_ENGINE_CONFIG_CONFIG_H_
