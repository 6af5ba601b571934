// The operator routes through the real server: POST /api/v1/admin/verify
// (with "deep") and POST /api/v1/admin/backfill run the checks and fixes of
// `tether verify` and `tether backfill` for admin tokens (`tether token
// create --admin`); a tenant token gets 403 and changes nothing. The last
// report, from the API or the CLI, is GET /api/v1/admin/verify. On SQLite
// and PostgreSQL.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "serve_harness.h"
#include "support/git_repo.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;

namespace {

// A served environment with a synced project "web" (a git repository of
// three files), a tenant token and an admin token.
struct Admin {
  Admin() : env(), repo(env.dir() / "web.git") {
    repo.Write("README.md", "# web\n");
    repo.Write("src/main.cc", "int main() { return 0; }\n");
    repo.Write("src/util.py", "print('x')\n");
    repo.Commit("first");
    REQUIRE(env.cli().Run("project add web --repo " + repo.path().string()).exit_code == 0);
    REQUIRE(env.cli().Run("sync web").exit_code == 0);
    tenant_token = env.Token("tenant-ci");
    CliResult made = env.cli().Run("token create --name ops --admin");
    REQUIRE(made.exit_code == 0);
    admin_token = made.out.substr(0, made.out.find('\n'));
    server = std::make_unique<ServeProcess>(env.config());
  }

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body,
                 const std::string& token) {
    return server->client().Send(method, target, body, {{"Authorization", "Bearer " + token}});
  }
  long long Count(const std::string& sql) { return env.cli().Count(sql); }

  ServeEnv env;
  GitRepo repo;
  std::string tenant_token;
  std::string admin_token;
  std::unique_ptr<ServeProcess> server;
};

std::vector<std::string> Strings(const rapidjson::Value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.GetArray()) out.push_back(v.GetString());
  return out;
}

bool AnyContains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const std::string& line : lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

const char kOrphan[] = "INSERT INTO projects (name, tenant_id, created_at) VALUES ('orphan', 'default', 'now')";

}  // namespace

TEST_CASE("a tenant token gets 403 problem+json from the admin routes and changes nothing") {
  Admin a;
  REQUIRE(a.env.cli().db().Execute(kOrphan, "orphan").ok());
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/admin/verify"}, {"GET", "/api/v1/admin/verify"}, {"POST", "/api/v1/admin/backfill"}}) {
    HttpReply refused = a.Call(method, path, "", a.tenant_token);
    INFO(method << " " << path << ": " << refused.body);
    CHECK(refused.status == 403);
    CHECK(refused.Header("content-type") == "application/problem+json");
    const rapidjson::Document problem = refused.Json();
    CHECK(std::string(problem["type"].GetString()) == "urn:tether:problem:forbidden");
    CHECK_THAT(std::string(problem["detail"].GetString()),
               Catch::Contains("tenant-ci") && Catch::Contains("tether token create --admin"));
  }
  CHECK(a.server->client().Send("POST", "/api/v1/admin/backfill").status == 401);
  // Nothing was backfilled, nothing recorded.
  CHECK(a.Count("SELECT COUNT(*) FROM project_syncs") == 1);
  CHECK(a.Count("SELECT COUNT(*) FROM verify_reports") == 0);
}

TEST_CASE("an admin token runs verify and backfill through the API with the CLI's checks") {
  Admin a;
  REQUIRE(a.env.cli().db().Execute(kOrphan, "orphan").ok());

  HttpReply verified = a.Call("POST", "/api/v1/admin/verify", "", a.admin_token);
  INFO(verified.body);
  REQUIRE(verified.status == 200);
  rapidjson::Document record = verified.Json();
  const rapidjson::Value& report = record["report"];
  CHECK(std::string(record["trigger"].GetString()) == "api");
  CHECK_FALSE(report["ok"].GetBool());
  CHECK_FALSE(report["deep"].GetBool());
  CHECK(report["table_rows"]["projects"].GetInt() == 2);
  CHECK(AnyContains(Strings(report["problems"]), "project orphan has no project_syncs row"));
  const int64_t first_id = record["id"].GetInt64();

  // The last report is kept: what GET answers (and the web page shows).
  HttpReply last = a.Call("GET", "/api/v1/admin/verify", "", a.admin_token);
  REQUIRE(last.status == 200);
  CHECK(last.Json()["id"].GetInt64() == first_id);
  CHECK(a.Count("SELECT COUNT(*) FROM verify_reports WHERE ok = 0") == 1);

  HttpReply filled = a.Call("POST", "/api/v1/admin/backfill", "{}", a.admin_token);
  INFO(filled.body);
  REQUIRE(filled.status == 200);
  std::vector<std::string> changes = Strings(filled.Json()["changes"]);
  REQUIRE(changes.size() == 1);
  CHECK_THAT(changes[0], Catch::Contains("project orphan: added its project_syncs row"));
  CHECK(a.Count("SELECT COUNT(*) FROM project_syncs") == 2);
  // Idempotent.
  HttpReply again = a.Call("POST", "/api/v1/admin/backfill", "", a.admin_token);
  REQUIRE(again.status == 200);
  CHECK(again.Json()["changes"].Size() == 0);

  HttpReply clean = a.Call("POST", "/api/v1/admin/verify", "{\"deep\": false}", a.admin_token);
  REQUIRE(clean.status == 200);
  CHECK(clean.Json()["report"]["ok"].GetBool());
}

TEST_CASE("deep verify through the API names a stored row that differs from the synced tree") {
  Admin a;
  REQUIRE(a.env.cli().db().Execute("UPDATE documents SET blob_sha = 'ffffffffffffffffffffffffffffffffffffffff'"
                                   " WHERE path = 'src/main.cc'",
                                   "tamper").ok());
  // The shallow checks do not read the tree.
  HttpReply shallow = a.Call("POST", "/api/v1/admin/verify", "", a.admin_token);
  REQUIRE(shallow.status == 200);
  CHECK(shallow.Json()["report"]["ok"].GetBool());

  HttpReply deep = a.Call("POST", "/api/v1/admin/verify", "{\"deep\": true}", a.admin_token);
  INFO(deep.body);
  REQUIRE(deep.status == 200);
  rapidjson::Document record = deep.Json();
  CHECK(record["report"]["deep"].GetBool());
  CHECK_FALSE(record["report"]["ok"].GetBool());
  std::vector<std::string> problems = Strings(record["report"]["problems"]);
  CHECK(AnyContains(problems, "project web: \"src/main.cc\" is stored with blob ffffffffffffffffffffffffffffffffffffffff"));
  CHECK_FALSE(AnyContains(problems, "README.md"));
}

TEST_CASE("bad admin request bodies are refused naming the field and record nothing") {
  Admin a;
  HttpReply typed = a.Call("POST", "/api/v1/admin/verify", "{\"deep\": \"yes\"}", a.admin_token);
  INFO(typed.body);
  CHECK(typed.status == 400);
  CHECK(std::string(typed.Json()["pointer"].GetString()) == "/deep");
  HttpReply unknown = a.Call("POST", "/api/v1/admin/verify", "{\"depth\": true}", a.admin_token);
  INFO(unknown.body);
  CHECK(unknown.status == 400);
  CHECK_THAT(unknown.body, Catch::Contains("depth"));
  HttpReply backfill = a.Call("POST", "/api/v1/admin/backfill", "{\"deep\": true}", a.admin_token);
  CHECK(backfill.status == 400);
  HttpReply query = a.Call("POST", "/api/v1/admin/verify?deep=1", "", a.admin_token);
  CHECK(query.status == 400);
  CHECK(a.Count("SELECT COUNT(*) FROM verify_reports") == 0);
  // No report yet: GET says how to make one.
  HttpReply none = a.Call("GET", "/api/v1/admin/verify", "", a.admin_token);
  CHECK(none.status == 404);
  CHECK_THAT(none.body, Catch::Contains("POST /api/v1/admin/verify"));
}

TEST_CASE("token create --admin makes an admin token, and tether verify's report is the API's last one") {
  Admin a;
  CliResult listed = a.env.cli().Run("--json token list");
  REQUIRE(listed.exit_code == 0);
  CHECK_THAT(listed.out, Catch::Contains("\"name\": \"ops\"") && Catch::Contains("\"scope\": \"admin\""));
  CHECK_THAT(listed.out, Catch::Contains("\"scope\": \"tenant\""));
  CliResult table = a.env.cli().Run("token list");
  CHECK_THAT(table.out, Catch::Contains("SCOPE"));

  CliResult verified = a.env.cli().Run("verify");
  INFO(verified.out << verified.err);
  REQUIRE(verified.exit_code == 0);
  HttpReply last = a.Call("GET", "/api/v1/admin/verify", "", a.admin_token);
  REQUIRE(last.status == 200);
  rapidjson::Document record = last.Json();
  CHECK(std::string(record["trigger"].GetString()) == "cli");
  CHECK(record["report"]["ok"].GetBool());
  // An admin token is a token of its tenant for everything else.
  CHECK(a.Call("GET", "/api/v1/projects/web", "", a.admin_token).status == 200);
}
