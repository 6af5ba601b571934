// A rate-limited provider: the run fails without touching anything, and the
// project says until when it is rate limited.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

#include "engine/cli/cli_harness.h"
#include "shared/clock.h"

using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TestDatabase;

TEST_CASE("a rate-limited sync fails cleanly and the project says until when") {
  TempDir dir;
  TestDatabase database(dir.path());
  std::filesystem::path config = dir.path() / "tether.json";
  std::ofstream(config) << "{\"database\": \"" << database.url() << "\", \"plugins\": ["
                        << "{\"name\": \"throttled\", \"kind\": \"provider\", \"path\": \"" THROTTLED_PLUGIN "\","
                        // A provider's message is for people, and may be
                        // stale: the time to wait is the status's data.
                        << " \"settings\": {\"message\": \"quota spent (rate limited until 1999-01-01T00:00:00Z)\"}},"
                        << "{\"name\": \"sql-storage\", \"kind\": \"storage\"}]}";
  auto tether = [&](const std::string& args, int* code) {
    return RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config.string()) + " " + args + " 2>&1",
                      code);
  };
  int code = -1;
  tether("migrate apply", &code);
  REQUIRE(code == 0);
  std::string out = tether("project add p --provider throttled --repo anywhere", &code);
  INFO(out);
  REQUIRE(code == 0);
  const int64_t before = tether::NowUnixSeconds();
  out = tether("sync p", &code);
  const int64_t after = tether::NowUnixSeconds();
  CHECK(code == 1);
  CHECK_THAT(out, Catch::Contains("rate"));
  out = tether("--json status", &code);
  CHECK(code == 0);
  CHECK_THAT(out, Catch::Contains("\"status\": \"rate_limited\""));
  // "rate limited until <the sync's time + 90 s>": from the status's retry
  // time, not from what its message says.
  std::smatch until;
  REQUIRE(std::regex_search(out, until, std::regex("rate limited until (\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ)")));
  CHECK(until[1].str() >= tether::Iso8601FromUnixSeconds(before + 90));
  CHECK(until[1].str() <= tether::Iso8601FromUnixSeconds(after + 90));
  out = tether("--json project show p", &code);
  CHECK_THAT(out, Catch::Contains("\"last_synced_commit\": null"));
}
