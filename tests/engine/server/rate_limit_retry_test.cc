// A sync started through the service that ends rate limited is started
// again by the service once the provider's retry-after has passed.
#include <catch2/catch.hpp>

#include <fstream>

#include "serve_harness.h"

using tether::testing::CliResult;
using tether::testing::Eventually;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;

TEST_CASE("a rate-limited run is retried by the service after retry-after") {
  TempDir dir;
  TetherCli cli(dir.path());
  std::ofstream(cli.config()) << "{\"database\": \"" << cli.db_url() << "\", \"plugins\": ["
                              << "{\"name\": \"throttled\", \"kind\": \"provider\", \"path\": \"" THROTTLED_PLUGIN
                                 "\", \"settings\": {\"retry_after\": 1}},"
                              << "{\"name\": \"sql-storage\", \"kind\": \"storage\"}]}";
  CliResult added = cli.Run("project add p --provider throttled --repo anywhere");
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CliResult token = cli.Run("token create --name t");
  REQUIRE(token.exit_code == 0);
  std::string secret = token.out.substr(0, token.out.find_first_of("\r\n"));

  ServeProcess serve(cli.config());
  auto reply = serve.client().Send("POST", "/api/v1/projects/p/sync", "", {{"Authorization", "Bearer " + secret}});
  REQUIRE(reply.status == 202);
  // The first run ends rate limited; about a second later the service starts
  // another one by itself (which ends the same way, and so on).
  CHECK(Eventually([&] { return cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'failed'") >= 2; }, 20));
  CHECK(cli.Text("SELECT status FROM project_syncs") == "rate_limited");
  CHECK(serve.Stop() == 0);
}
