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
#include "support/status_checks.h"

using tether::testing::GitRepo;
using tether::testing::HttpReply;
using tether::testing::RunCommand;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TestDatabase;

namespace {

// postgresql://ADMIN@HOST:PORT/DB -> postgresql://USER@HOST:PORT/DB?options=-c tether.tenant=TENANT
// (no options when `tenant` is empty: the URL pins no tenant).
std::string UrlFor(const std::string& admin_url, const std::string& user, const std::string& tenant) {
  const std::string url = "postgresql://" + user + admin_url.substr(admin_url.find('@'));
  return tenant.empty() ? url : url + "?options=-c%20tether.tenant%3D" + tenant;
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

// A migrated database with a login role that does not own its tables, so
// that row-level security applies to it; the role is dropped at the end.
struct RlsWorld {
  TempDir dir;
  TestDatabase database{dir.path()};
  const std::string role = "tether_rls_" + std::to_string(std::hash<std::string>{}(database.url()) % 100000);
  std::unique_ptr<tether::db::Database> admin;
  std::filesystem::path owner;  // config of the tables' owner

  RlsWorld() {
    auto opened = tether::db::Database::Open(database.url());
    REQUIRE(opened.ok());
    admin = std::move(opened).value();
    REQUIRE_OK(admin->Execute("DROP ROLE IF EXISTS " + role, "drop role"));
    REQUIRE(admin->Execute("CREATE ROLE " + role + " LOGIN", "create role").ok());
    owner = WriteConfig(dir.path(), "owner", database.url());
    int code = -1;
    Tether(owner, "migrate apply", &code);
    REQUIRE(code == 0);
    REQUIRE(admin->Execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role, "grant").ok());
    REQUIRE(admin->Execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role, "grant").ok());
  }
  // CHECK, not REQUIRE: a destructor must not throw.
  ~RlsWorld() { CHECK_OK(admin->Execute("DROP OWNED BY " + role, "drop owned")); }
};

}  // namespace

TEST_CASE("under row-level security each token works in its own tenant only") {
  RlsWorld world;
  int code = -1;
  const std::string acme = Trimmed(Tether(world.owner, "token create --name acme-ci --tenant acme", &code));
  REQUIRE(code == 0);
  const std::string globex = Trimmed(Tether(world.owner, "token create --name globex-ci --tenant globex", &code));
  REQUIRE(code == 0);

  GitRepo repo(world.dir.path() / "repo");
  repo.Write("secret.txt", "acme's secret\n");
  repo.Commit("first");
  // The deployment's tenant is acme: its storage and events connect as acme.
  ServeProcess server(WriteConfig(world.dir.path(), "app", UrlFor(world.database.url(), world.role, "acme")));
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
  world.admin->session() << "SELECT string_agg(name || '=' || tenant_id, ',' ORDER BY name) FROM projects",
      soci::into(tenants);
  CHECK(tenants == "a=acme,g=globex");
  CHECK(server.Stop() == 0);
}

TEST_CASE("with a URL that pins no tenant, every sync runs as its project's tenant") {
  RlsWorld world;
  int code = -1;
  const std::string globex = Trimmed(Tether(world.owner, "token create --name globex-ci --tenant globex", &code));
  REQUIRE(code == 0);
  GitRepo repo(world.dir.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Write("b.txt", "b\n");
  repo.Commit("first");

  const std::filesystem::path app = WriteConfig(world.dir.path(), "app", UrlFor(world.database.url(), world.role, ""));
  auto count = [&](const std::string& sql) {
    long long n = 0;
    world.admin->session() << sql, soci::into(n);
    return n;
  };
  SECTION("tether --tenant T sync") {
    Tether(app, "--tenant acme project add p --repo " + ShellQuote(repo.path().string()), &code);
    REQUIRE(code == 0);
    std::string out = Tether(app, "--tenant acme sync p", &code);
    INFO(out);
    CHECK(code == 0);
    CHECK(count("SELECT COUNT(*) FROM documents d JOIN projects p ON p.id = d.project_id"
                " WHERE p.name = 'p' AND p.tenant_id = 'acme'") == 2);
    CHECK(count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'succeeded'") == 1);
    CHECK(count("SELECT COUNT(*) FROM events WHERE type = 'run.finished'") == 1);
    out = Tether(app, "--tenant acme project show p", &code);
    CHECK(code == 0);
    CHECK_THAT(out, Catch::Contains("2"));
  }
  SECTION("a sync started through the API") {
    ServeProcess server(app);
    auto call = [&](const std::string& method, const std::string& target, const std::string& body = "") {
      return server.client().Send(method, target, body, {{"Authorization", "Bearer " + globex}});
    };
    HttpReply added = call("POST", "/api/v1/projects", "{\"name\": \"g\", \"repo\": \"" + repo.path().string() + "\"}");
    INFO(added.body);
    REQUIRE(added.status == 201);
    HttpReply synced = call("POST", "/api/v1/projects/g/sync");
    REQUIRE(synced.status == 202);
    REQUIRE(tether::testing::Eventually([&] {
      return call("GET", synced.Header("location")).Json()["outcome"] != "running";
    }));
    HttpReply run = call("GET", synced.Header("location"));
    INFO(run.body);
    CHECK(run.Json()["outcome"] == "succeeded");
    CHECK(call("GET", "/api/v1/projects/g/documents").Json()["documents"].Size() == 2);
    CHECK(tether::testing::Eventually([&] {
      return count("SELECT COUNT(*) FROM events e JOIN projects p ON p.id = e.project_id"
                   " WHERE p.tenant_id = 'globex' AND e.type = 'run.finished'") == 1;
    }));
    CHECK(server.Stop() == 0);
  }
}
