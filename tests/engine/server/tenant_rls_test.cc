// The API under PostgreSQL row-level security: the server connects as a
// role that does not own the tables, and binds each request's connection to
// the tenant of its token, so that the database keeps tenants apart too.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>

#include <soci/soci.h>

#include "engine/db/database.h"
#include "serve_harness.h"
#include "support/test_database.h"

using tether::testing::GitRepo;
using tether::testing::HttpReply;
using tether::testing::RunCommand;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TestDatabase;

namespace {

// postgresql://ADMIN@HOST:PORT/DB -> postgresql://USER@HOST:PORT/DB?options=-c tether.tenant=TENANT
std::string UrlFor(const std::string& admin_url, const std::string& user, const std::string& tenant) {
  return "postgresql://" + user + admin_url.substr(admin_url.find('@')) + "?options=-c%20tether.tenant%3D" + tenant;
}

std::filesystem::path WriteConfig(const std::filesystem::path& dir, const std::string& name, const std::string& url) {
  std::filesystem::path config = dir / (name + ".json");
  std::ofstream(config) << "{\"database\": \"" << url
                        << "\", \"plugins\": [{\"name\": \"local-git\"}, {\"name\": \"sql-storage\"}]}";
  return config;
}

std::string Tether(const std::filesystem::path& config, const std::string& args, int* code) {
  return RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config.string()) + " " + args + " 2>/dev/null",
                    code);
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("under row-level security each token works in its own tenant only") {
  TempDir dir;
  TestDatabase database(dir.path());
  const std::string role = "tether_api_" + std::to_string(std::hash<std::string>{}(database.url()) % 100000);
  auto admin = tether::db::Database::Open(database.url());
  REQUIRE(admin.ok());
  (*admin)->Execute("DROP ROLE IF EXISTS " + role, "drop role");
  REQUIRE((*admin)->Execute("CREATE ROLE " + role + " LOGIN", "create role").ok());
  const std::filesystem::path owner = WriteConfig(dir.path(), "owner", database.url());
  int code = -1;
  Tether(owner, "migrate apply", &code);
  REQUIRE(code == 0);
  REQUIRE((*admin)->Execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role, "grant").ok());
  REQUIRE((*admin)->Execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role, "grant").ok());
  const std::string acme = Trimmed(Tether(owner, "token create --name acme-ci --tenant acme", &code));
  REQUIRE(code == 0);
  const std::string globex = Trimmed(Tether(owner, "token create --name globex-ci --tenant globex", &code));
  REQUIRE(code == 0);

  GitRepo repo(dir.path() / "repo");
  repo.Write("secret.txt", "acme's secret\n");
  repo.Commit("first");
  // The deployment's tenant is acme: its storage and events connect as acme.
  ServeProcess server(WriteConfig(dir.path(), "app", UrlFor(database.url(), role, "acme")));
  auto call = [&](const std::string& token, const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return server.client().Send(method, target, body, {{"Authorization", "Bearer " + token}});
  };
  const std::string project = "{\"name\": \"%\", \"repo\": \"" + repo.path().string() + "\"}";
  auto named = [&](const std::string& name) {
    std::string body = project;
    return body.replace(body.find('%'), 1, name);
  };

  HttpReply a = call(acme, "POST", "/api/v1/projects", named("a"));
  INFO(a.body);
  REQUIRE(a.status == 201);
  HttpReply synced = call(acme, "POST", "/api/v1/projects/a/sync");
  REQUIRE(synced.status == 202);
  REQUIRE(tether::testing::Eventually([&] {
    return call(acme, "GET", synced.Header("location")).Json()["outcome"] == "succeeded";
  }));

  // globex's requests run bound to globex: row-level security lets it
  // create its own project (with the session bound to acme it could not)...
  HttpReply g = call(globex, "POST", "/api/v1/projects", named("g"));
  INFO(g.body);
  CHECK(g.status == 201);
  // ... and shows it nothing of acme's.
  CHECK(call(globex, "GET", "/api/v1/projects").Json()["projects"].Size() == 1);
  CHECK(call(globex, "GET", "/api/v1/projects/a/documents").status == 404);
  CHECK(call(acme, "GET", "/api/v1/projects").Json()["projects"].Size() == 1);
  std::string tenants;
  (*admin)->session() << "SELECT string_agg(name || '=' || tenant_id, ',' ORDER BY name) FROM projects",
      soci::into(tenants);
  CHECK(tenants == "a=acme,g=globex");
  CHECK(server.Stop() == 0);
  (*admin)->Execute("DROP OWNED BY " + role, "drop owned");
}
