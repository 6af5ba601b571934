#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "engine/plugin_host/plugin_host.h"
#include "tether/provider.h"
#include "tether/storage.h"

using tether::config::PluginConfig;
using tether::plugin_host::PluginHost;
using tether::plugin_host::PluginRecord;
using tether::plugin_host::PluginState;

namespace {

// Fixture library lib<file>.so declares the plugin "fixture-<file with - for _>".
PluginConfig Fixture(const std::string& file, const std::string& kind = "", const std::string& settings = "{}",
                     std::string name = "") {
  if (name.empty()) {
    name = "fixture-" + file;
    std::replace(name.begin(), name.end(), '_', '-');
  }
  PluginConfig c;
  c.name = name;
  c.path = std::string(FIXTURE_DIR) + "/lib" + file + ".so";
  c.kind = kind;
  c.settings_json = settings;
  return c;
}

const PluginRecord& LoadOne(PluginHost& host, const PluginConfig& config) {
  host.Load({config});
  return host.plugins().back();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("a good plugin loads with its descriptor and receives its settings") {
  PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
  const PluginRecord& r = LoadOne(host, Fixture("good", "provider", R"({"answer":42})"));
  CHECK(r.state == PluginState::kLoaded);
  CHECK(r.error.empty());
  CHECK(r.name == "fixture-good");
  CHECK(r.kind == "provider");
  CHECK(r.version == "1.2.3");
  CHECK(r.abi == PluginHost::HostAbi());
  CHECK(r.file.string() == std::string(FIXTURE_DIR) + "/libgood.so");
  CHECK_FALSE(host.AnyBroken());

  auto provider = host.FindProvider("fixture-good");
  REQUIRE(provider.ok());
  auto repo = (*provider)->Open("somewhere");
  REQUIRE_FALSE(repo.ok());
  CHECK(Contains(repo.status().message(), R"({"answer":42})"));
  // It is a provider, not a storage.
  CHECK(host.FindStorage("fixture-good").status().code() == tether::StatusCode::kInvalidArgument);
}

TEST_CASE("the database URL reaches storage plugins only") {
  const std::string url = "postgresql://tether:s3cret@db.internal/tether";
  PluginHost host(TETHER_PLUGIN_DIR, url);
  host.Load({Fixture("good", "provider"), Fixture("storage", "storage")});
  REQUIRE_FALSE(host.AnyBroken());

  auto provider = host.FindProvider("fixture-good");
  REQUIRE(provider.ok());
  auto repo = (*provider)->Open("somewhere");
  REQUIRE_FALSE(repo.ok());
  CHECK(Contains(repo.status().message(), "database []"));
  CHECK_FALSE(Contains(repo.status().message(), "s3cret"));

  auto storage = host.FindStorage("fixture-storage");
  REQUIRE(storage.ok());
  auto cursor = (*storage)->ReadCursor(tether::ProjectRef{1, "default"});
  REQUIRE_FALSE(cursor.ok());
  CHECK(Contains(cursor.status().message(), "database [" + url + "]"));
}

TEST_CASE("each kind of broken plugin is reported with its file and reason") {
  struct Case {
    std::string file;
    std::string kind;
    std::string reason;
  };
  const std::string host_abi = PluginHost::HostAbi();
  const Case cases[] = {
      {"not_a_plugin", "", "not a Tether plugin"},
      {"missing_create", "", "missing symbol tether_plugin_create"},
      {"abi_major", "", "ABI " + std::to_string(TETHER_SDK_ABI_MAJOR + 1) + ".0, host has ABI " + host_abi},
      {"abi_minor", "",
       "ABI " + std::to_string(TETHER_SDK_ABI_MAJOR) + "." + std::to_string(TETHER_SDK_ABI_MINOR + 1) +
           ", host has ABI " + host_abi},
      {"toolchain", "", "toolchain \"msvc-2019\""},
      {"init_fails", "", "init failed: setting \"token\" is required"},
      {"throws", "", "init failed: plugin threw: boom in the factory"},
      {"unresolved", "", "tether_fixture_symbol_that_does_not_exist"},
      {"good", "storage", "wrong kind: configured as storage, plugin is a provider"},
      {"no_such_file", "", "file not found"},
  };
  for (const Case& c : cases) {
    SECTION(c.file + " " + c.kind) {
      PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
      const PluginRecord& r = LoadOne(host, Fixture(c.file, c.kind));
      CHECK(r.state == PluginState::kBroken);
      CHECK(r.file.filename().string() == "lib" + c.file + ".so");
      INFO("error was: " << r.error);
      CHECK(Contains(r.error, c.reason));
      CHECK(host.AnyBroken());
    }
  }
}

TEST_CASE("a broken plugin does not stop the others") {
  PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
  host.Load({Fixture("abi_major"), Fixture("good"), Fixture("init_fails")});
  REQUIRE(host.plugins().size() == 3);
  CHECK(host.plugins()[0].state == PluginState::kBroken);
  CHECK(host.plugins()[1].state == PluginState::kLoaded);
  CHECK(host.plugins()[2].state == PluginState::kBroken);
  CHECK(host.FindProvider("fixture-good").ok());
  auto broken = host.FindProvider("fixture-init-fails");
  CHECK(broken.status().code() == tether::StatusCode::kUnavailable);
  CHECK(Contains(broken.status().message(), "libinit_fails.so"));
  CHECK(host.FindProvider("nobody").status().code() == tether::StatusCode::kNotFound);
}

TEST_CASE("two plugins with one name: the second is refused") {
  PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
  host.Load({Fixture("good"), Fixture("good_twin", "", "{}", "fixture-good")});
  REQUIRE(host.plugins().size() == 2);
  CHECK(host.plugins()[0].state == PluginState::kLoaded);
  CHECK(host.plugins()[1].state == PluginState::kBroken);
  CHECK(Contains(host.plugins()[1].error, "duplicate name"));
  CHECK(host.plugins()[1].file.filename() == "libgood_twin.so");
}

TEST_CASE("a file that declares another name than the configured one is refused") {
  PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
  const PluginRecord& r = LoadOne(host, Fixture("good", "", "{}", "my-provider"));
  CHECK(r.state == PluginState::kBroken);
  CHECK(Contains(r.error, "declares the plugin \"fixture-good\", not \"my-provider\""));
}

TEST_CASE("bundled plugins load by name from the plugin folder") {
  PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
  PluginConfig storage;
  storage.name = "sql-storage";
  storage.kind = "storage";
  host.Load({storage});
  const PluginRecord& r = host.plugins().back();
  INFO(r.error);
  CHECK(r.state == PluginState::kLoaded);
  CHECK(r.kind == "storage");
  CHECK(host.FindStorage("sql-storage").ok());
}

TEST_CASE("MatchesRepository is asked of 3.1 providers only, and a 3.0 one loads and is not asked") {
  PluginHost host(TETHER_PLUGIN_DIR, "sqlite::memory:");
  PluginConfig old_folder, folder;
  old_folder.name = "folder-3.0";
  old_folder.path = FOLDER_30_PLUGIN;
  old_folder.settings_json = R"({"follows": "Codertocat/Hello-World"})";
  folder.name = "folder";
  folder.path = FOLDER_PLUGIN;
  folder.settings_json = old_folder.settings_json;
  host.Load({old_folder, folder, Fixture("good", "provider")});
  for (const PluginRecord& r : host.plugins()) {
    INFO(r.name << ": " << r.error);
    CHECK(r.state == PluginState::kLoaded);
  }
  CHECK(host.plugins()[0].abi == "3.0");
  CHECK(host.plugins()[1].abi == PluginHost::HostAbi());

  tether::RepositoryMention mention;
  mention.forge = "github";
  mention.full_name = "codertocat/hello-world";
  mention.html_url = "https://github.com/Codertocat/Hello-World";
  auto answer = host.MatchesRepository("folder", "/srv/hello", mention);
  REQUIRE(answer.ok());
  CHECK(*answer);
  auto fixture = host.MatchesRepository("fixture-good", "Codertocat/Hello-World", mention);
  REQUIRE(fixture.ok());
  CHECK_FALSE(*fixture);  // the SDK's default
  auto old = host.MatchesRepository("folder-3.0", "/srv/hello", mention);
  REQUIRE_FALSE(old.ok());
  CHECK(old.status().code() == tether::StatusCode::kInvalidArgument);
  CHECK(Contains(old.status().message(), "plugin \"folder-3.0\" is built for SDK ABI 3.0"));
  auto missing = host.MatchesRepository("no-such-plugin", "x", mention);
  CHECK(missing.status().code() == tether::StatusCode::kNotFound);

  // What sdk_previous_minor_test relies on: the 3.0 build has a virtual of
  // its own in the slot where 3.1 put MatchesRepository, so that a host
  // calling it there would get "yes" (not a crash) and that test would see
  // a 3.0 project synced. Called here on purpose, outside the host.
  auto provider = host.FindProvider("folder-3.0");
  REQUIRE(provider.ok());
  CHECK((*provider)->MatchesRepository("/srv/hello", mention));
}
