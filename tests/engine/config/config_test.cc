// Tests for engine/config: parsing, schema errors, ${NAME} expansion, path
// resolution, the starter config and how the config file is found.
#include "engine/config/config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;
using tether::StatusCode;
using tether::config::Config;
using tether::config::ConfigSchema;
using tether::config::LoadConfig;
using tether::config::ParseConfig;
using tether::config::ResolveConfigPath;
using tether::config::StarterConfig;

using Env = std::map<std::string, std::string>;

tether::Result<Config> Parse(const std::string& text, const Env& env = {},
                             const fs::path& base_dir = "/srv/tether") {
  return ParseConfig(text, "test.json", base_dir,
                     [&env](const std::string& name) -> std::optional<std::string> {
                       auto it = env.find(name);
                       if (it == env.end()) return std::nullopt;
                       return it->second;
                     });
}

// The message of a parse that must fail with InvalidArgument.
std::string ErrorOf(const std::string& text, const Env& env = {}) {
  tether::Result<Config> result = Parse(text, env);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  return result.status().message();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tether-config-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  fs::path path_;
};

// Sets or unsets an environment variable for one scope, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

const char kFullConfig[] = R"({
  "database": "sqlite:data/tether.db",
  "plugins": [
    {"name": "local-git", "kind": "provider"},
    {"name": "sql-storage", "kind": "storage", "settings": {"pool": 4, "tags": ["a", "b"]}},
    {"name": "x.y_z-1", "path": "plugins/libx.so"},
    {"name": "abs", "path": "/opt/x/libabs.so", "kind": "analyzer"}
  ],
  "defaults": {"provider": "local-git", "storage": "sql-storage",
               "max_content_bytes": 2048, "lease_seconds": 60,
               "analysis_max_bytes": 4096, "analysis_time_limit_ms": 500, "analysis_threads": 3},
  "server": {"analysis_gc_seconds": 60, "analysis_gc_grace_seconds": 0}
})";

TEST_CASE("a full config is read field by field") {
  tether::Result<Config> result = Parse(kFullConfig);
  REQUIRE(result.ok());
  const Config& config = result.value();
  CHECK(config.file.empty());
  CHECK(config.database_url == "sqlite:/srv/tether/data/tether.db");
  REQUIRE(config.plugins.size() == 4);
  CHECK(config.plugins[0].name == "local-git");
  CHECK(config.plugins[0].kind == "provider");
  CHECK(config.plugins[0].path.empty());
  CHECK(config.plugins[0].settings_json == "{}");
  CHECK(config.plugins[1].settings_json == R"({"pool":4,"tags":["a","b"]})");
  CHECK(config.plugins[2].name == "x.y_z-1");
  CHECK(config.plugins[2].kind.empty());
  CHECK(config.plugins[2].path == "/srv/tether/plugins/libx.so");
  CHECK(config.plugins[3].path == "/opt/x/libabs.so");
  CHECK(config.plugins[3].kind == "analyzer");
  CHECK(config.defaults.provider == "local-git");
  CHECK(config.defaults.storage == "sql-storage");
  CHECK(config.defaults.max_content_bytes == 2048);
  CHECK(config.defaults.lease_seconds == 60);
  CHECK(config.defaults.analysis_max_bytes == 4096);
  CHECK(config.defaults.analysis_time_limit_ms == 500);
  CHECK(config.defaults.analysis_threads == 3);
  CHECK(config.server.analysis_gc_seconds == 60);
  CHECK(config.server.analysis_gc_grace_seconds == 0);
}

TEST_CASE("absent optional parts take their defaults") {
  tether::Result<Config> result = Parse(R"({"database": "postgres://db/tether"})");
  REQUIRE(result.ok());
  CHECK(result->database_url == "postgres://db/tether");
  CHECK(result->plugins.empty());
  CHECK(result->defaults.provider == "local-git");
  CHECK(result->defaults.storage == "sql-storage");
  CHECK(result->defaults.max_content_bytes == 1048576);
  CHECK(result->defaults.lease_seconds == 3600);
  CHECK(result->defaults.analysis_time_limit_ms == 30000);
  CHECK(result->server.analysis_gc_seconds == 21600);
  CHECK(result->server.analysis_gc_grace_seconds == 7 * 24 * 3600);
}

TEST_CASE("a JSON syntax error names the line and column") {
  const std::string message = ErrorOf("{\n  \"database\": \"sqlite:x.db\",\n  \"plugins\": [}\n");
  CHECK(Contains(message, "test.json:3:15: "));
  CHECK(Contains(message, "JSON syntax error"));
}

TEST_CASE("a syntax error's column counts characters, not bytes") {
  // 'x' is the 18th character of the line but its 19th byte.
  const std::string message = ErrorOf("{\"database\": \"\xC3\xA9\" x}");
  CHECK(Contains(message, "test.json:1:18: "));
}

TEST_CASE("an empty document is a syntax error at 1:1") {
  CHECK(Contains(ErrorOf(""), "test.json:1:1: "));
}

TEST_CASE("a wrong type names the pointer and both types") {
  const std::string message = ErrorOf(
      R"({"database": "sqlite:x.db", "plugins": [{"name": "a"}, {"name": "b", "kind": 5}]})");
  CHECK(Contains(message, "test.json: /plugins/1/kind: must be a string (found an integer)"));
  CHECK(Contains(message, "schema keyword \"type\""));
}

TEST_CASE("a root that is not an object is named") {
  const std::string message = ErrorOf("[]");
  CHECK(Contains(message, "test.json: (root): must be an object (found an array)"));
}

TEST_CASE("an unknown property is named, with a suggestion") {
  const std::string message = ErrorOf(R"({"databse": "sqlite:x.db"})");
  CHECK(Contains(message, "test.json: /databse: unknown property \"databse\""));
  CHECK(Contains(message, "did you mean \"database\"?"));
  CHECK(Contains(message, "schema keyword \"additionalProperties\""));
}

TEST_CASE("an unknown property inside a plugin is named with its pointer") {
  const std::string message =
      ErrorOf(R"({"database": "sqlite:x.db", "plugins": [{"name": "a", "knd": "provider"}]})");
  CHECK(Contains(message, "/plugins/0/knd: unknown property \"knd\" (did you mean \"kind\"?)"));
}

TEST_CASE("an unknown property whose value is an object is still the property") {
  const std::string message =
      ErrorOf(R"({"database": "sqlite:x.db", "default": {"lease_seconds": 5, "zz": 1}})");
  CHECK(Contains(message, "/default: unknown property \"default\" (did you mean \"defaults\"?)"));
}

TEST_CASE("a value outside an enum lists what is allowed") {
  const std::string message = ErrorOf(
      R"({"database": "sqlite:x.db", "plugins": [{"name": "a"}, {"name": "b", "kind": "storge"}]})");
  CHECK(Contains(message,
                 "test.json: /plugins/1/kind: must be one of \"provider\", \"storage\", "
                 "\"analyzer\" (schema keyword \"enum\")"));
  CHECK_FALSE(Contains(message, "storge"));
}

TEST_CASE("a missing required property is named") {
  const std::string message = ErrorOf(R"({"plugins": []})");
  CHECK(Contains(message, "test.json: (root): missing required property \"database\""));
  const std::string in_plugin =
      ErrorOf(R"({"database": "sqlite:x", "plugins": [{"kind": "storage"}]})");
  CHECK(Contains(in_plugin, "/plugins/0: missing required property \"name\""));
}

TEST_CASE("numbers out of range name the bound") {
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "defaults": {"analysis_time_limit_ms": 0}})"),
                 "/defaults/analysis_time_limit_ms: must be >= 1"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "server": {"analysis_gc_seconds": -5}})"),
                 "/server/analysis_gc_seconds: must be >= 0"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "defaults": {"lease_seconds": 0}})"),
                 "/defaults/lease_seconds: must be >= 1 (schema keyword \"minimum\")"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "defaults": {"max_content_bytes": -1}})"),
                 "/defaults/max_content_bytes: must be >= 0"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "defaults": {"max_content_bytes": 1.5}})"),
                 "/defaults/max_content_bytes: must be an integer"));
}

TEST_CASE("plugin names must match the name pattern") {
  for (const char* bad : {"Local", "-git", "a b", "a/b", ""}) {
    INFO(bad);
    const std::string message =
        ErrorOf(std::string(R"({"database": "sqlite:x", "plugins": [{"name": ")") + bad + "\"}]}");
    CHECK(Contains(message, "/plugins/0/name: "));
  }
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "plugins": [{"name": "Local"}]})"),
                 "schema keyword \"pattern\""));
}

TEST_CASE("an unknown database scheme is refused") {
  const std::string message = ErrorOf(R"({"database": "mysql://db/tether"})");
  CHECK(Contains(message, "test.json: /database: does not match the pattern"));
  CHECK(Contains(message, "postgresql://"));
  CHECK_FALSE(Contains(message, "mysql"));
  CHECK(Contains(ErrorOf(R"({"database": "tether.db"})"), "/database: "));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:"})"),
                 "/database: a sqlite: URL needs a file path"));
}

TEST_CASE("duplicate plugin names name both positions") {
  const std::string message = ErrorOf(
      R"({"database": "sqlite:x", "plugins": [{"name": "a"}, {"name": "b"}, {"name": "a"}]})");
  CHECK(Contains(message, "duplicate plugin name \"a\""));
  CHECK(Contains(message, "/plugins/0 and /plugins/2"));
}

TEST_CASE("a member given twice is refused") {
  const std::string message = ErrorOf(R"({"database": "sqlite:a", "database": "sqlite:b"})");
  CHECK(Contains(message, "test.json: /database: property \"database\" appears more than once"));
}

TEST_CASE("deep nesting is refused before it is walked") {
  const std::string deep =
      std::string(R"({"database": "sqlite:x", "plugins": [{"name": "a", "settings": {"v": )") +
      std::string(100000, '[') + std::string(100000, ']') + "}}]}";
  // Refused by the byte scan, before a tree is built: line, column, offset.
  CHECK(Contains(ErrorOf(deep), "test.json:1:130: JSON nested deeper than 64 levels at offset 129"));
  const std::string fine =
      std::string(R"({"database": "sqlite:x", "plugins": [{"name": "a", "settings": {"v": )") +
      std::string(50, '[') + std::string(50, ']') + "}}]}";
  CHECK(Parse(fine).ok());
}

TEST_CASE("explicit defaults must name a listed plugin of the right kind") {
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "plugins": [{"name": "a"}],
                            "defaults": {"provider": "gh"}})"),
                 "/defaults/provider: the default provider \"gh\" is not in /plugins"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "plugins": [{"name": "a", "kind": "storage"}],
                            "defaults": {"provider": "a"}})"),
                 "listed at /plugins/0 with kind \"storage\", not \"provider\""));
  CHECK(
      Parse(
          R"({"database": "sqlite:x", "plugins": [{"name": "a"}, {"name": "s", "kind": "storage"}],
                 "defaults": {"provider": "a", "storage": "s"}})")
          .ok());
}

TEST_CASE("${NAME} is expanded in string values, also inside settings") {
  const Env env = {{"DB_HOST", "db.internal"}, {"TOKEN", "t0k"}};
  tether::Result<Config> result = Parse(R"({
    "database": "postgresql://${DB_HOST}:5432/tether",
    "plugins": [{"name": "gh", "settings": {"auth": ["Bearer ${TOKEN}"], "${TOKEN}": 1}}]})",
                                        env);
  REQUIRE(result.ok());
  CHECK(result->database_url == "postgresql://db.internal:5432/tether");
  // Member names are not expanded; string values are.
  CHECK(result->plugins[0].settings_json == R"({"auth":["Bearer t0k"],"${TOKEN}":1})");
}

TEST_CASE("expansion cannot inject JSON") {
  const Env env = {{"EVIL", R"(x", "kind": "provider)"}};
  tether::Result<Config> result = Parse(
      R"({"database": "sqlite:x", "plugins": [{"name": "a", "settings": {"v": "${EVIL}"}}]})", env);
  REQUIRE(result.ok());
  CHECK(result->plugins[0].kind.empty());
  CHECK(result->plugins[0].settings_json == R"({"v":"x\", \"kind\": \"provider"})");
}

TEST_CASE("$${ is a literal ${ and other dollars stay") {
  // "$${" is the escape wherever it starts, so "$$${HOME}" is "$" + "${HOME}".
  const Env env = {{"HOME", "/home/me"}};
  tether::Result<Config> result = Parse(
      R"({"database": "sqlite:x", "plugins": [{"name": "a", "settings": {"a": "$${HOME}", "b": "a$$b$c$", "c": "$$${HOME}"}}]})",
      env);
  REQUIRE(result.ok());
  CHECK(result->plugins[0].settings_json == R"({"a":"${HOME}","b":"a$$b$c$","c":"$${HOME}"})");
}

TEST_CASE("an unset variable is named with its pointer, without the string") {
  const std::string message = ErrorOf(
      R"({"database": "sqlite:x", "plugins": [{"name": "gh", "settings": {"auth": "Bearer-${GH_TOKEN}"}}]})");
  CHECK(Contains(
      message,
      "test.json: /plugins/0/settings/auth: environment variable \"GH_TOKEN\" is not set"));
  CHECK_FALSE(Contains(message, "Bearer"));
}

TEST_CASE("a malformed reference is refused without showing the string") {
  for (const char* bad : {"pa${ss", "pa${}ss", "pa${1X}", "pa${A-B}ss"}) {
    INFO(bad);
    const std::string message = ErrorOf(
        std::string(R"({"database": "sqlite:x", "plugins": [{"name": "a", "settings": {"s": ")") +
        bad + "\"}}]}");
    CHECK(Contains(message, "/plugins/0/settings/s: malformed variable reference"));
    CHECK_FALSE(Contains(message, "pa"));
  }
}

TEST_CASE("expanded values and strings with references never appear in errors") {
  const Env env = {
      {"SECRET", "hunter2-s3cr3t"}, {"NAME", "hunter2-s3cr3t"}, {"BAD", "Hunter2 s3cr3t"}};
  const std::vector<std::string> broken = {
      // a schema error elsewhere in the file
      R"({"database": "postgresql://u:${SECRET}@db/x", "typo": 1})",
      // a schema error on the expanded value itself
      R"({"database": "mysql://u:${SECRET}@db/x"})",
      R"({"database": "sqlite:x", "plugins": [{"name": "${BAD}"}]})",
      R"({"database": "sqlite:x", "plugins": [{"name": "a", "kind": "${SECRET}"}]})",
      // semantic errors on expanded values
      R"({"database": "sqlite:x", "plugins": [{"name": "${NAME}"}, {"name": "hunter2-s3cr3t"}]})",
      R"({"database": "sqlite:x", "plugins": [{"name": "hunter2-s3cr3t"}, {"name": "${NAME}"}]})",
      R"({"database": "sqlite:x", "plugins": [{"name": "a"}], "defaults": {"provider": "${NAME}"}})",
      R"({"database": "sqlite:x", "plugins": [{"name": "${NAME}", "kind": "storage"}],
          "defaults": {"provider": "hunter2-s3cr3t"}})",
      // an unset variable next to a set one
      R"({"database": "postgresql://u:${SECRET}@db/${MISSING}"})",
  };
  for (const std::string& text : broken) {
    INFO(text);
    const std::string message = ErrorOf(text, env);
    CHECK_FALSE(Contains(message, "hunter2"));
    CHECK_FALSE(Contains(message, "s3cr3t"));
    CHECK_FALSE(Contains(message, "${"));
    CHECK_FALSE(Contains(message, "u:"));
  }
}

TEST_CASE("sqlite paths are resolved against the config's folder") {
  auto database = [](const std::string& url, const fs::path& base) {
    tether::Result<Config> result = Parse("{\"database\": \"" + url + "\"}", {}, base);
    REQUIRE(result.ok());
    return result->database_url;
  };
  CHECK(database("sqlite:tether.db", "/srv/tether") == "sqlite:/srv/tether/tether.db");
  CHECK(database("sqlite:./a/../b/t.db", "/srv/tether") == "sqlite:/srv/tether/b/t.db");
  CHECK(database("sqlite:../t.db", "/srv/tether") == "sqlite:/srv/t.db");
  CHECK(database("sqlite:/var/lib/t.db", "/srv/tether") == "sqlite:/var/lib/t.db");
  CHECK(database("sqlite::memory:", "/srv/tether") == "sqlite::memory:");
  CHECK(database("postgresql://h/db", "/srv/tether") == "postgresql://h/db");
  // A relative base folder is made absolute against the current directory.
  CHECK(database("sqlite:t.db", "conf") ==
        "sqlite:" + (fs::current_path() / "conf" / "t.db").string());
}

TEST_CASE("the starter config round-trips through ParseConfig") {
  const std::string text = StarterConfig("postgresql://tether@db/tether");
  CHECK(text.find("//", text.find("postgresql://") + 13) == std::string::npos);  // no comments
  CHECK(Contains(text, "\n  \"database\": "));                                   // pretty-printed
  tether::Result<Config> result = Parse(text);
  REQUIRE(result.ok());
  CHECK(result->database_url == "postgresql://tether@db/tether");
  REQUIRE(result->plugins.size() == 5);
  CHECK(result->plugins[0].name == "local-git");
  CHECK(result->plugins[0].kind == "provider");
  CHECK(result->plugins[1].name == "sql-storage");
  CHECK(result->plugins[1].kind == "storage");
  CHECK(result->plugins[2].name == "code");  // a new user's syncs are analysed
  CHECK(result->plugins[2].kind == "analyzer");
  CHECK(result->plugins[3].name == "docs");  // and documented
  CHECK(result->plugins[3].kind == "analyzer");
  CHECK(result->plugins[4].name == "embeddings");  // and searchable by meaning, with no service
  CHECK(Contains(result->plugins[4].settings_json, "\"hashing\""));
  const tether::config::Defaults defaults;
  CHECK(result->defaults.provider == defaults.provider);
  CHECK(result->defaults.storage == defaults.storage);
  CHECK(result->defaults.max_content_bytes == defaults.max_content_bytes);
  CHECK(result->defaults.lease_seconds == defaults.lease_seconds);
}

TEST_CASE("the starter config writes the database URL verbatim") {
  tether::Result<Config> result = Parse(StarterConfig("sqlite:my \"db\".db"), {}, "/x");
  REQUIRE(result.ok());
  CHECK(result->database_url == "sqlite:/x/my \"db\".db");
  tether::Result<Config> referenced =
      Parse(StarterConfig("${DATABASE_URL}"), {{"DATABASE_URL", "postgres://h/d"}});
  REQUIRE(referenced.ok());
  CHECK(referenced->database_url == "postgres://h/d");
}

TEST_CASE("the config file is the flag, else $TETHER_CONFIG, else ./tether.json") {
  {
    ScopedEnv env("TETHER_CONFIG", "/etc/tether/env.json");
    CHECK(ResolveConfigPath("/etc/tether/flag.json") == fs::path("/etc/tether/flag.json"));
    CHECK(ResolveConfigPath("") == fs::path("/etc/tether/env.json"));
  }
  {
    ScopedEnv env("TETHER_CONFIG", "");
    CHECK(ResolveConfigPath("") == fs::path("./tether.json"));
    CHECK(ResolveConfigPath("rel.json") == fs::path("rel.json"));
  }
  {
    ScopedEnv env("TETHER_CONFIG", nullptr);
    CHECK(ResolveConfigPath("") == fs::path("./tether.json"));
  }
}

TEST_CASE("LoadConfig reads a file and resolves paths against its folder") {
  TempDir dir;
  const fs::path file = dir.Write(
      "etc/tether.json",
      R"({"database": "sqlite:state/t.db", "plugins": [{"name": "x", "path": "libx.so"}]})");
  tether::Result<Config> result = LoadConfig(file);
  REQUIRE(result.ok());
  CHECK(result->file == file);
  CHECK(result->file.is_absolute());
  CHECK(result->database_url == "sqlite:" + (dir.path() / "etc/state/t.db").string());
  CHECK(result->plugins[0].path == (dir.path() / "etc/libx.so").string());
}

TEST_CASE("LoadConfig expands variables from the process environment") {
  TempDir dir;
  ScopedEnv env("TETHER_CONFIG_TEST_DB", "postgres://from-env/db");
  const fs::path file = dir.Write("t.json", R"({"database": "${TETHER_CONFIG_TEST_DB}"})");
  tether::Result<Config> result = LoadConfig(file);
  REQUIRE(result.ok());
  CHECK(result->database_url == "postgres://from-env/db");
}

TEST_CASE("LoadConfig: a missing file is NotFound and named") {
  TempDir dir;
  const fs::path missing = dir.path() / "nope.json";
  tether::Result<Config> result = LoadConfig(missing);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kNotFound);
  CHECK(Contains(result.status().message(), missing.string()));
}

TEST_CASE("LoadConfig: errors start with the file name") {
  TempDir dir;
  const fs::path file = dir.Write("bad.json", "{\"database\": \"sqlite:x\",\n\"plugins\": 3}");
  tether::Result<Config> result = LoadConfig(file);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(result.status().message(), file.string() + ": /plugins: must be an array"));

  tether::Result<Config> folder = LoadConfig(dir.path());
  REQUIRE_FALSE(folder.ok());
  CHECK(folder.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(folder.status().message(), "is a directory"));
}

TEST_CASE("the embedded schema is the shipped file") {
  const std::string_view schema = ConfigSchema();
  CHECK(schema == ReadFile(fs::path(TETHER_SOURCE_DIR) / "engine/config/config.schema.json"));
  CHECK(schema == ReadFile(fs::path(TETHER_BUILD_DIR) / "share/tether/config.schema.json"));
  CHECK(Contains(std::string(schema), "\"additionalProperties\": false"));
}

}  // namespace

TEST_CASE("the server section is read field by field") {
  tether::Result<Config> result = Parse(R"({"database": "sqlite:x", "server": {"listen": "0.0.0.0:9000",
      "io_threads": 3, "api_workers": 5, "sync_workers": 7, "sync_queue": 0,
      "allow_unauthenticated_health": true}})");
  REQUIRE(result.ok());
  CHECK(result->server.listen == "0.0.0.0:9000");
  CHECK(result->server.io_threads == 3);
  CHECK(result->server.api_workers == 5);
  CHECK(result->server.sync_workers == 7);
  CHECK(result->server.sync_queue == 0);
  CHECK(result->server.allow_unauthenticated_health);
}

TEST_CASE("an absent server section takes loopback defaults") {
  tether::Result<Config> result = Parse(R"({"database": "sqlite:x"})");
  REQUIRE(result.ok());
  CHECK(result->server.listen == "127.0.0.1:8080");
  CHECK(result->server.io_threads == 2);
  CHECK(result->server.api_workers == 4);
  CHECK(result->server.sync_workers == 2);
  CHECK(result->server.sync_queue == 16);
  CHECK_FALSE(result->server.allow_unauthenticated_health);
}

TEST_CASE("bad server settings are named with their pointer") {
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "server": {"sync_workers": 0}})"),
                 "/server/sync_workers: must be >= 1"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "server": {"listen": 8080}})"),
                 "/server/listen: must be a string"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "server": {"allow_unauthenticated_health": "yes"}})"),
                 "/server/allow_unauthenticated_health: must be a boolean"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x", "server": {"workers": 2}})"),
                 "/server/workers: unknown property \"workers\""));
}

TEST_CASE("server.log_format is text or json, and anything else is refused naming the key") {
  tether::Result<Config> json = Parse(R"({"database": "sqlite:x.db", "server": {"log_format": "json"}})");
  REQUIRE(json.ok());
  CHECK(json->server.log_format == tether::logging::LogFormat::kJson);
  tether::Result<Config> plain = Parse(R"({"database": "sqlite:x.db"})");
  REQUIRE(plain.ok());
  CHECK(plain->server.log_format == tether::logging::LogFormat::kText);

  const std::string message = ErrorOf(R"({"database": "sqlite:x.db", "server": {"log_format": "yaml"}})");
  CHECK(Contains(message, "test.json: /server/log_format: must be one of \"text\", \"json\""));
  const std::string typed = ErrorOf(R"({"database": "sqlite:x.db", "server": {"log_format": 1}})");
  CHECK(Contains(typed, "/server/log_format"));
}

TEST_CASE("defaults.schedule is off, adaptive or an interval, and a bad one is refused naming the key") {
  tether::Result<Config> plain = Parse(R"({"database": "sqlite:x.db"})");
  REQUIRE(plain.ok());
  CHECK(plain->defaults.schedule == "off");
  CHECK(plain->defaults.schedule_min_interval_seconds == 45);
  CHECK(plain->defaults.schedule_max_interval_seconds == 28800);
  CHECK(plain->server.schedule_poll_ms == 1000);
  tether::Result<Config> every = Parse(
      R"({"database": "sqlite:x.db", "defaults": {"schedule": "5m", "schedule_min_interval_seconds": 60},
          "server": {"schedule_poll_ms": 0}})");
  REQUIRE(every.ok());
  CHECK(every->defaults.schedule == "5m");
  CHECK(every->defaults.schedule_min_interval_seconds == 60);
  CHECK(every->server.schedule_poll_ms == 0);
  REQUIRE(Parse(R"({"database": "sqlite:x.db", "defaults": {"schedule": "adaptive"}})").ok());

  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "defaults": {"schedule": "sometimes"}})"), "/defaults/schedule"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "defaults": {"schedule": "0s"}})"),
                 "/defaults/schedule: schedule \"0s\""));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "defaults": {"schedule": "400d"}})"), "/defaults/schedule"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "defaults": {"schedule_min_interval_seconds": 600,
                                                                    "schedule_max_interval_seconds": 60}})"),
                 "/defaults/schedule_max_interval_seconds: 60 is shorter than schedule_min_interval_seconds (600)"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "server": {"schedule_poll_ms": -1}})"),
                 "/server/schedule_poll_ms"));
}

TEST_CASE("server.shutdown_grace_seconds is read and a value out of range is refused naming the key") {
  tether::Result<Config> set = Parse(R"({"database": "sqlite:x.db", "server": {"shutdown_grace_seconds": 5}})");
  REQUIRE(set.ok());
  CHECK(set->server.shutdown_grace_seconds == 5);
  tether::Result<Config> plain = Parse(R"({"database": "sqlite:x.db"})");
  REQUIRE(plain.ok());
  CHECK(plain->server.shutdown_grace_seconds == 20);
  const std::string message = ErrorOf(R"({"database": "sqlite:x.db", "server": {"shutdown_grace_seconds": 0}})");
  CHECK(Contains(message, "test.json: /server/shutdown_grace_seconds"));
}

TEST_CASE("workers: lease timeout, limits and host id are read; a limit on an unknown provider is refused naming it") {
  tether::Result<Config> plain = Parse(R"({"database": "sqlite:x.db"})");
  REQUIRE(plain.ok());
  CHECK(plain->workers.lease_timeout_seconds == 30);
  CHECK(plain->workers.max_running_syncs == 0);
  CHECK(plain->workers.provider_limits.empty());
  CHECK(plain->workers.host_id.empty());
  tether::Result<Config> set = Parse(
      R"({"database": "sqlite:x.db", "plugins": [{"name": "local-git"}, {"name": "github", "kind": "provider"}],)"
      R"( "workers": {"lease_timeout_seconds": 10, "max_running_syncs": 8, "provider_limits": {"github": 4},)"
      R"( "host_id": "rack-2.node_7", "poll_ms": 250}})");
  INFO(set.status().message());
  REQUIRE(set.ok());
  CHECK(set->workers.lease_timeout_seconds == 10);
  CHECK(set->workers.max_running_syncs == 8);
  REQUIRE(set->workers.provider_limits.size() == 1);
  CHECK(set->workers.provider_limits[0] == std::make_pair(std::string("github"), 4));
  CHECK(set->workers.host_id == "rack-2.node_7");
  CHECK(set->workers.poll_ms == 250);

  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "plugins": [{"name": "local-git"}],)"
                         R"( "workers": {"provider_limits": {"gitlab": 2}}})"),
                 "test.json: /workers/provider_limits/gitlab: \"gitlab\" is not a provider in /plugins"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "workers": {"lease_timeout_seconds": 1}})"),
                 "test.json: /workers/lease_timeout_seconds"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "workers": {"host_id": "a:b"}})"),
                 "test.json: /workers/host_id"));
  CHECK(Contains(ErrorOf(R"({"database": "sqlite:x.db", "workers": {"provider_limits": {"github": 0}}})"),
                 "/workers/provider_limits/github"));
}
