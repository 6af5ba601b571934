// Tenant isolation on PostgreSQL: the engine connects as a role that does not
// own the tables, with tether.tenant set; row-level security keeps tenants
// apart. Everything goes through real processes and real SQL.
#include <catch2/catch.hpp>

#include <fstream>

#include <soci/soci.h>

#include "engine/db/database.h"
#include "support/git_repo.h"
#include "support/test_database.h"
#include "support/status_checks.h"

using tether::testing::GitRepo;
using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TestDatabase;

namespace {

// The test database's URL for `user`, with tether.tenant set to `tenant`.
std::string UrlFor(const std::string& admin_url, const std::string& user, const std::string& tenant) {
  // postgresql://tether_admin@127.0.0.1:PORT/DB -> postgresql://USER@127.0.0.1:PORT/DB?options=...
  std::string rest = admin_url.substr(admin_url.find('@'));
  std::string url = "postgresql://" + user + rest;
  if (!tenant.empty()) url += "?options=-c%20tether.tenant%3D" + tenant;
  return url;
}

struct Tenant {
  std::filesystem::path config;
  int Run(const std::string& args, std::string* out = nullptr) const {
    int code = -1;
    std::string text = RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config.string()) + " " + args +
                                      " 2>&1",
                                  &code);
    if (out != nullptr) *out = text;
    return code;
  }
};

Tenant WriteConfig(const std::filesystem::path& dir, const std::string& name, const std::string& url) {
  Tenant t{dir / (name + ".json")};
  std::ofstream(t.config) << "{\"database\": \"" << url
                          << "\", \"plugins\": [{\"name\": \"local-git\"}, {\"name\": \"sql-storage\"}]}";
  return t;
}

}  // namespace

TEST_CASE("with tenant A set, tenant B's rows can be neither read nor written") {
  TempDir dir;
  TestDatabase database(dir.path());
  const std::string app_role = "tether_app_" + std::to_string(std::hash<std::string>{}(database.url()) % 100000);
  {
    auto admin = tether::db::Database::Open(database.url());
    REQUIRE(admin.ok());
    REQUIRE_OK((*admin)->Execute("DROP ROLE IF EXISTS " + app_role, "drop role"));
    REQUIRE_OK((*admin)->Execute("CREATE ROLE " + app_role + " LOGIN", "create role"));
  }
  // The owner (here the cluster's superuser) migrates; the app role gets DML only.
  Tenant owner = WriteConfig(dir.path(), "owner", database.url());
  std::string out;
  REQUIRE(owner.Run("migrate apply", &out) == 0);
  {
    auto admin = tether::db::Database::Open(database.url());
    REQUIRE(admin.ok());
    REQUIRE_OK((*admin)->Execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + app_role, "grant"));
    REQUIRE_OK((*admin)->Execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + app_role, "grant"));
  }

  GitRepo repo(dir.path() / "repo");
  repo.Write("secret.txt", "acme's secret\n");
  repo.Commit("first");
  Tenant acme = WriteConfig(dir.path(), "acme", UrlFor(database.url(), app_role, "acme"));
  Tenant globex = WriteConfig(dir.path(), "globex", UrlFor(database.url(), app_role, "globex"));
  int code = acme.Run("project add a --repo " + ShellQuote(repo.url()), &out);
  INFO(out);
  REQUIRE(code == 0);
  code = acme.Run("sync a", &out);
  INFO(out);
  REQUIRE(code == 0);

  // globex sees nothing of acme's, through the CLI...
  CHECK(globex.Run("--json project list", &out) == 0);
  CHECK_THAT(out, !Catch::Contains("\"a\""));
  CHECK(globex.Run("sync a", &out) == 2);
  CHECK_THAT(out, Catch::Contains("no project called \"a\""));
  // ... and through SQL on its own connection.
  auto g = tether::db::Database::Open(UrlFor(database.url(), app_role, "globex"));
  REQUIRE(g.ok());
  soci::session& gs = (*g)->session();
  long long visible = -1;
  gs << "SELECT COUNT(*) FROM documents", soci::into(visible);
  CHECK(visible == 0);
  gs << "SELECT COUNT(*) FROM projects", soci::into(visible);
  CHECK(visible == 0);
  soci::statement update = (gs.prepare << "UPDATE documents SET content = 'overwritten'");
  update.execute(true);
  CHECK(update.get_affected_rows() == 0);

  long long acme_project = 0;
  {
    auto admin = tether::db::Database::Open(database.url());
    REQUIRE(admin.ok());
    (*admin)->session() << "SELECT id FROM projects WHERE name = 'a'", soci::into(acme_project);
  }
  tether::Status insert = (*g)->Execute(
      "INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, is_binary, updated_commit, updated_at)"
      " VALUES (" + std::to_string(acme_project) + ", 'planted.txt', 'x', 33188, 'file', 1, 0, 'c', 't')",
      "plant a row");
  CHECK_FALSE(insert.ok());
  CHECK_THAT(insert.message(), Catch::Contains("row-level security"));

  // globex works in its own space; acme's rows are untouched.
  CHECK(globex.Run("project add b --repo " + ShellQuote(repo.url()), &out) == 0);
  CHECK(globex.Run("sync b", &out) == 0);
  auto admin = tether::db::Database::Open(database.url());
  REQUIRE(admin.ok());
  std::string content;
  (*admin)->session() << "SELECT d.content FROM documents d JOIN projects p ON p.id = d.project_id"
                         " WHERE p.name = 'a'",
      soci::into(content);
  CHECK(content == "acme's secret\n");
  std::string tenants;
  (*admin)->session() << "SELECT string_agg(name || '=' || tenant_id, ',' ORDER BY name) FROM projects",
      soci::into(tenants);
  CHECK(tenants == "a=acme,b=globex");
  // A session without a tenant sees nothing at all.
  auto none = tether::db::Database::Open(UrlFor(database.url(), app_role, ""));
  REQUIRE(none.ok());
  (*none)->session() << "SELECT COUNT(*) FROM documents", soci::into(visible);
  CHECK(visible == 0);
  admin = tether::db::Database::Open(database.url());
  REQUIRE_OK((*admin)->Execute("DROP OWNED BY " + app_role, "drop owned"));
}
