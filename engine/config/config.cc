#include "engine/config/config.h"
#include "engine/schedule/schedule.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>

#include "engine/common/json_writer.h"
#include "engine/config/env_expand.h"
#include "engine/config/json_checks.h"
#include "engine/config/json_pointer.h"
#include "engine/config/schema_errors.h"
#include "tether/json_depth.h"

namespace tether::config {
namespace {

namespace fs = std::filesystem;
using internal::ChildPointer;
using internal::DisplayPointer;
using internal::EnvLookup;
using internal::Quote;
using tether::Result;
using tether::Status;

constexpr char kDefaultConfigFile[] = "./tether.json";
constexpr char kConfigEnvVar[] = "TETHER_CONFIG";
constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kSqliteMemory = ":memory:";
constexpr std::string_view kPostgresqlPrefix = "postgresql://";
constexpr std::string_view kPostgresPrefix = "postgres://";
// A config is a few kilobytes; anything this large is not one.
constexpr uintmax_t kMaxConfigBytes = 16u << 20;
// Deeper than any sensible config (plugin settings included).
constexpr size_t kMaxNesting = kMaxJsonDepth;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// ---------------------------------------------------------------------------
// Syntax

// 1-based line and column (in UTF-8 characters) of byte `offset` in `text`.
struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};

TextPosition PositionOf(std::string_view text, size_t offset) {
  TextPosition position;
  const size_t end = std::min(offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      ++position.line;
      position.column = 1;
    } else if ((byte & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++position.column;
    }
  }
  return position;
}

std::string_view WithoutByteOrderMark(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  return StartsWith(text, kBom) ? text.substr(kBom.size()) : text;
}

Status SyntaxError(const std::string& source, std::string_view text,
                   const rapidjson::Document& document) {
  const TextPosition at = PositionOf(text, document.GetErrorOffset());
  return Status::InvalidArgument(
      source + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
      ": JSON syntax error: " + rapidjson::GetParseError_En(document.GetParseError()));
}

// RapidJSON keeps both members of {"a": 1, "a": 2}; the schema cannot see
// it, and silently taking one of them would hide a mistake. Deep nesting is
// refused too: the passes after this one recurse.
Status CheckStructure(const rapidjson::Value& document) {
  std::optional<JsonViolation> violation = CheckJsonStructure(document, static_cast<int>(kMaxNesting));
  if (violation) return Status::InvalidArgument(violation->ToString());
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Schema

Status ValidateAgainstSchema(const rapidjson::Document& document) {
  const std::string_view text = ConfigSchema();
  rapidjson::Document schema_json;
  schema_json.Parse(text.data(), text.size());
  if (schema_json.HasParseError()) {
    return Status::Internal("the embedded config schema is not valid JSON: " +
                            std::string(rapidjson::GetParseError_En(schema_json.GetParseError())));
  }
  std::optional<JsonViolation> violation = CheckJsonSchema(schema_json, document);
  if (violation) return Status::InvalidArgument(violation->ToString());
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Reading a validated document

std::string StringMember(const rapidjson::Value& object, const char* name,
                         const std::string& fallback) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return fallback;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string ToCompactJson(const rapidjson::Value& value) {
  CompactJsonWriter json;
  value.Accept(json.writer());
  return json.Text();
}

PluginConfig ReadPlugin(const rapidjson::Value& object) {
  PluginConfig plugin;
  plugin.name = StringMember(object, "name", "");
  plugin.path = StringMember(object, "path", "");
  plugin.kind = StringMember(object, "kind", "");
  auto settings = object.FindMember("settings");
  if (settings != object.MemberEnd()) plugin.settings_json = ToCompactJson(settings->value);
  return plugin;
}

Defaults ReadDefaults(const rapidjson::Value& object) {
  Defaults defaults;
  defaults.provider = StringMember(object, "provider", defaults.provider);
  defaults.storage = StringMember(object, "storage", defaults.storage);
  auto bytes = object.FindMember("max_content_bytes");
  if (bytes != object.MemberEnd()) defaults.max_content_bytes = bytes->value.GetUint64();
  auto lease = object.FindMember("lease_seconds");
  if (lease != object.MemberEnd()) defaults.lease_seconds = lease->value.GetInt64();
  auto analysis_bytes = object.FindMember("analysis_max_bytes");
  if (analysis_bytes != object.MemberEnd()) defaults.analysis_max_bytes = analysis_bytes->value.GetUint64();
  auto time_limit = object.FindMember("analysis_time_limit_ms");
  if (time_limit != object.MemberEnd()) defaults.analysis_time_limit_ms = time_limit->value.GetInt64();
  auto threads = object.FindMember("analysis_threads");
  if (threads != object.MemberEnd()) defaults.analysis_threads = threads->value.GetInt();
  auto page = object.FindMember("analysis_page_size");
  if (page != object.MemberEnd()) defaults.analysis_page_size = page->value.GetInt();
  defaults.schedule = StringMember(object, "schedule", defaults.schedule);
  auto min_interval = object.FindMember("schedule_min_interval_seconds");
  if (min_interval != object.MemberEnd()) defaults.schedule_min_interval_seconds = min_interval->value.GetInt64();
  auto max_interval = object.FindMember("schedule_max_interval_seconds");
  if (max_interval != object.MemberEnd()) defaults.schedule_max_interval_seconds = max_interval->value.GetInt64();
  return defaults;
}

int IntMember(const rapidjson::Value& object, const char* name, int fallback) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? fallback : it->value.GetInt();
}

ServerConfig ReadServer(const rapidjson::Value& object) {
  ServerConfig server;
  server.listen = StringMember(object, "listen", server.listen);
  server.io_threads = IntMember(object, "io_threads", server.io_threads);
  server.api_workers = IntMember(object, "api_workers", server.api_workers);
  server.sync_workers = IntMember(object, "sync_workers", server.sync_workers);
  server.sync_queue = IntMember(object, "sync_queue", server.sync_queue);
  server.sse_heartbeat_ms = IntMember(object, "sse_heartbeat_ms", server.sse_heartbeat_ms);
  server.sse_client_queue = IntMember(object, "sse_client_queue", server.sse_client_queue);
  server.events_retention_days = IntMember(object, "events_retention_days", server.events_retention_days);
  server.events_prune_seconds = IntMember(object, "events_prune_seconds", server.events_prune_seconds);
  server.schedule_poll_ms = IntMember(object, "schedule_poll_ms", server.schedule_poll_ms);
  server.shutdown_grace_seconds = IntMember(object, "shutdown_grace_seconds", server.shutdown_grace_seconds);
  auto gc = object.FindMember("analysis_gc_seconds");
  if (gc != object.MemberEnd()) server.analysis_gc_seconds = gc->value.GetInt64();
  auto grace = object.FindMember("analysis_gc_grace_seconds");
  if (grace != object.MemberEnd()) server.analysis_gc_grace_seconds = grace->value.GetInt64();
  auto cache = object.FindMember("search_cache_mb");
  if (cache != object.MemberEnd()) server.search_cache_mb = cache->value.GetInt64();
  auto max_rows = object.FindMember("events_max_rows");
  if (max_rows != object.MemberEnd()) server.events_max_rows = max_rows->value.GetInt64();
  auto health = object.FindMember("allow_unauthenticated_health");
  if (health != object.MemberEnd()) server.allow_unauthenticated_health = health->value.GetBool();
  server.github_webhook_secret = StringMember(object, "github_webhook_secret", "");
  // The schema allows only "text" and "json".
  server.log_format =
      logging::ParseLogFormat(StringMember(object, "log_format", "text")).value_or(logging::LogFormat::kText);
  return server;
}

WorkersConfig ReadWorkers(const rapidjson::Value& object) {
  WorkersConfig workers;
  auto timeout = object.FindMember("lease_timeout_seconds");
  if (timeout != object.MemberEnd()) workers.lease_timeout_seconds = timeout->value.GetInt64();
  workers.max_running_syncs = IntMember(object, "max_running_syncs", workers.max_running_syncs);
  workers.poll_ms = IntMember(object, "poll_ms", workers.poll_ms);
  workers.host_id = StringMember(object, "host_id", "");
  auto limits = object.FindMember("provider_limits");
  if (limits != object.MemberEnd()) {
    for (const auto& limit : limits->value.GetObject()) {
      workers.provider_limits.emplace_back(limit.name.GetString(), limit.value.GetInt());
    }
  }
  return workers;
}

// `document` must have passed the schema.
Config ReadConfig(const rapidjson::Document& document) {
  Config config;
  config.database_url = StringMember(document, "database", "");
  auto plugins = document.FindMember("plugins");
  if (plugins != document.MemberEnd()) {
    for (const auto& plugin : plugins->value.GetArray()) {
      config.plugins.push_back(ReadPlugin(plugin));
    }
  }
  auto defaults = document.FindMember("defaults");
  if (defaults != document.MemberEnd()) config.defaults = ReadDefaults(defaults->value);
  auto server = document.FindMember("server");
  if (server != document.MemberEnd()) config.server = ReadServer(server->value);
  auto workers = document.FindMember("workers");
  if (workers != document.MemberEnd()) config.workers = ReadWorkers(workers->value);
  return config;
}

// ---------------------------------------------------------------------------
// Checks across values

// `name` quoted, unless any of the strings at `pointers` (all holding this
// name) came from an environment variable: then it may be a secret and is
// not shown.
std::string NameForMessage(const std::string& name, const std::vector<std::string>& pointers,
                           const std::set<std::string>& expanded) {
  for (const std::string& pointer : pointers) {
    if (expanded.count(pointer) > 0) return "(set from an environment variable)";
  }
  return Quote(name);
}

Status CheckUniquePluginNames(const std::vector<PluginConfig>& plugins,
                              const std::set<std::string>& expanded) {
  for (size_t later = 0; later < plugins.size(); ++later) {
    for (size_t first = 0; first < later; ++first) {
      if (plugins[first].name != plugins[later].name) continue;
      const std::string first_at = ChildPointer("/plugins", first);
      const std::string later_at = ChildPointer("/plugins", later);
      const std::string shown = NameForMessage(
          plugins[later].name, {ChildPointer(first_at, "name"), ChildPointer(later_at, "name")},
          expanded);
      return Status::InvalidArgument(later_at + ": duplicate plugin name " + shown +
                                     ": listed at " + first_at + " and " + later_at);
    }
  }
  return Status::Ok();
}

// Each name of workers.provider_limits must be a listed plugin that may be a
// provider: a limit on a name no project can use would limit nothing.
Status CheckProviderLimits(const Config& config) {
  for (const auto& [name, limit] : config.workers.provider_limits) {
    bool listed = false;
    for (const PluginConfig& plugin : config.plugins) {
      if (plugin.name == name && (plugin.kind.empty() || plugin.kind == "provider")) listed = true;
    }
    if (!listed) {
      return Status::InvalidArgument(ChildPointer("/workers/provider_limits", std::string_view(name)) + ": " +
                                     Quote(name) + " is not a provider in /plugins; name a listed provider");
    }
  }
  return Status::Ok();
}

// An explicit defaults.provider / defaults.storage must name a listed plugin
// that may be of that kind.
Status CheckDefaultPlugin(const rapidjson::Document& document, const Config& config,
                          const char* role, const std::set<std::string>& expanded) {
  auto defaults = document.FindMember("defaults");
  if (defaults == document.MemberEnd() || !defaults->value.HasMember(role)) {
    return Status::Ok();
  }
  const std::string name = StringMember(defaults->value, role, "");
  const std::string at = ChildPointer("/defaults", std::string_view(role));
  for (size_t i = 0; i < config.plugins.size(); ++i) {
    const PluginConfig& plugin = config.plugins[i];
    if (plugin.name != name) continue;
    if (plugin.kind.empty() || plugin.kind == role) return Status::Ok();
    const std::string plugin_at = ChildPointer("/plugins", i);
    const std::string shown = NameForMessage(name, {at, ChildPointer(plugin_at, "name")}, expanded);
    return Status::InvalidArgument(at + ": the default " + role + " " + shown + " is listed at " +
                                   plugin_at + " with kind " + Quote(plugin.kind) + ", not " +
                                   Quote(role));
  }
  return Status::InvalidArgument(at + ": the default " + role + " " +
                                 NameForMessage(name, {at}, expanded) +
                                 " is not in /plugins; list it there");
}

// ---------------------------------------------------------------------------
// Paths

fs::path AbsoluteDir(const fs::path& dir) {
  std::error_code ec;
  fs::path absolute = dir.empty() ? fs::current_path(ec) : fs::absolute(dir, ec);
  if (ec) return dir;
  return absolute.lexically_normal();
}

std::string ResolvePath(const fs::path& base_dir, const std::string& path) {
  const fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (base_dir / p).lexically_normal().string();
}

Result<std::string> ResolveDatabaseUrl(const std::string& url, const fs::path& base_dir) {
  if (StartsWith(url, kPostgresqlPrefix) || StartsWith(url, kPostgresPrefix)) return url;
  if (!StartsWith(url, kSqlitePrefix)) {
    return Status::InvalidArgument(
        "/database: unknown database scheme; expected sqlite:PATH, postgresql://... or "
        "postgres://...");
  }
  const std::string file = url.substr(kSqlitePrefix.size());
  if (file.empty()) {
    return Status::InvalidArgument(
        "/database: a sqlite: URL needs a file path after \"sqlite:\", e.g. sqlite:tether.db");
  }
  if (file == kSqliteMemory) return url;
  return std::string(kSqlitePrefix) + ResolvePath(base_dir, file);
}

Status ResolvePaths(const fs::path& base_dir, Config* config) {
  const fs::path base = AbsoluteDir(base_dir);
  Result<std::string> database = ResolveDatabaseUrl(config->database_url, base);
  if (!database.ok()) return database.status();
  config->database_url = std::move(database).value();
  for (PluginConfig& plugin : config->plugins) {
    if (!plugin.path.empty()) plugin.path = ResolvePath(base, plugin.path);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// The pipeline after a successful parse; error messages lack the source.

Result<Config> Interpret(rapidjson::Document& document, const fs::path& base_dir,
                         const EnvLookup& env) {
  TETHER_RETURN_IF_ERROR(CheckStructure(document));
  std::set<std::string> expanded;  // pointers of strings that held ${NAME}
  TETHER_RETURN_IF_ERROR(
      internal::ExpandStrings(document, "", document.GetAllocator(), env, &expanded));
  TETHER_RETURN_IF_ERROR(ValidateAgainstSchema(document));
  Config config = ReadConfig(document);
  TETHER_RETURN_IF_ERROR(CheckUniquePluginNames(config.plugins, expanded));
  TETHER_RETURN_IF_ERROR(CheckDefaultPlugin(document, config, "provider", expanded));
  TETHER_RETURN_IF_ERROR(CheckDefaultPlugin(document, config, "storage", expanded));
  TETHER_RETURN_IF_ERROR(CheckProviderLimits(config));
  if (Result<schedule::Schedule> parsed = schedule::ParseSchedule(config.defaults.schedule); !parsed.ok()) {
    return Status::InvalidArgument("/defaults/schedule: " + parsed.status().message());
  }
  if (config.defaults.schedule_max_interval_seconds < config.defaults.schedule_min_interval_seconds) {
    return Status::InvalidArgument("/defaults/schedule_max_interval_seconds: " +
                                   std::to_string(config.defaults.schedule_max_interval_seconds) +
                                   " is shorter than schedule_min_interval_seconds (" +
                                   std::to_string(config.defaults.schedule_min_interval_seconds) + ")");
  }
  TETHER_RETURN_IF_ERROR(ResolvePaths(base_dir, &config));
  return config;
}

Result<std::string> ReadConfigFile(const fs::path& path, const std::string& source) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxConfigBytes) {
    return Status::InvalidArgument(source + ": is " + std::to_string(size) +
                                   " bytes; a config file is at most " +
                                   std::to_string(kMaxConfigBytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument(source +
                                   ": cannot open the config file: " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument(source + ": cannot read the config file");
  return text.str();
}

}  // namespace

fs::path ResolveConfigPath(const std::string& flag_value) {
  if (!flag_value.empty()) return fs::path(flag_value);
  std::optional<std::string> from_env = ProcessEnv(kConfigEnvVar);
  if (from_env && !from_env->empty()) return fs::path(*from_env);
  return fs::path(kDefaultConfigFile);
}

Result<Config> LoadConfig(const fs::path& file) {
  const std::string source = file.string();
  std::error_code ec;
  fs::path absolute = fs::absolute(file, ec);
  if (ec) absolute = file;
  absolute = absolute.lexically_normal();

  const fs::file_status status = fs::status(absolute, ec);
  if (status.type() == fs::file_type::not_found) {
    return Status::NotFound(source + ": config file does not exist (looked for " +
                            absolute.string() + ")");
  }
  if (ec) return Status::InvalidArgument(source + ": cannot read the config file: " + ec.message());
  if (fs::is_directory(status)) {
    return Status::InvalidArgument(source + ": is a directory, not a config file");
  }

  Result<std::string> text = ReadConfigFile(absolute, source);
  if (!text.ok()) return text.status();
  Result<Config> config = ParseConfig(text.value(), source, absolute.parent_path(), ProcessEnv);
  if (!config.ok()) return config.status();
  config->file = absolute;
  return config;
}

Result<Config> ParseConfig(const std::string& text, const std::string& source_name,
                           const fs::path& base_dir, const EnvLookup& env) {
  const std::string_view json = WithoutByteOrderMark(text);
  // Nesting first, in one pass over the bytes: a config nested deeper than
  // the limit is refused before a tree is built.
  const size_t too_deep = JsonDepthExceededAt(json, kMaxNesting);
  if (too_deep != std::string_view::npos) {
    const TextPosition at = PositionOf(json, too_deep);
    return Status::InvalidArgument(source_name + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                                   ": JSON nested deeper than " + std::to_string(kMaxNesting) +
                                   " levels at offset " + std::to_string(too_deep));
  }
  rapidjson::Document document;
  // Iterative parsing: no recursion, whatever the nesting of the input.
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      json.data(), json.size());
  if (document.HasParseError()) return SyntaxError(source_name, json, document);
  Result<Config> config = Interpret(document, base_dir, env);
  if (!config.ok()) return config.status().WithContext(source_name);
  return config;
}

std::string StarterConfig(const std::string& database_url) {
  const Defaults defaults;
  JsonWriter json;
  json.Begin().Str("database", database_url).BeginArray("plugins");
  // The bundled plugins, the analyzers included: a new user's first sync
  // is analysed, its symbols searchable, its documentation written and its
  // chunks embedded by the built-in lexical embedder (no service needed).
  const std::pair<const char*, const char*> bundled[] = {
      {"local-git", "provider"}, {"sql-storage", "storage"}, {"code", "analyzer"}, {"docs", "analyzer"}};
  for (const auto& [name, kind] : bundled) json.Begin().Str("name", name).Str("kind", kind).End();
  json.Begin()
      .Str("name", "embeddings")
      .Str("kind", "analyzer")
      .BeginObject("settings")
      .Str("provider", "hashing")
      .End()
      .End();
  json.EndArray()
      .BeginObject("defaults")
      .Str("provider", defaults.provider)
      .Str("storage", defaults.storage)
      .Int("max_content_bytes", static_cast<int64_t>(defaults.max_content_bytes))
      .Int("lease_seconds", defaults.lease_seconds)
      .End()
      .End();
  return json.Text() + "\n";
}

}  // namespace tether::config
