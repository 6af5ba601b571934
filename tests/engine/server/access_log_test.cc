// What `tether serve` logs, read from the real binary's stderr: a line per
// answered request (method, route template, status, duration, bytes) and
// one per webhook delivery, in text or as one JSON object per line
// (--log-format, or server.log_format), and never a token, a signature or
// the webhook secret.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include <rapidjson/document.h>

#include "engine/db/project_store.h"
#include "engine/webhooks/github_webhook.h"
#include "serve_harness.h"

using tether::testing::Eventually;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;

namespace {

const char kSecret[] = "webhook secret of the access log test";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string Member(const rapidjson::Value& object, const char* key) {
  if (!object.HasMember(key) || !object[key].IsString()) return "<none>";
  return object[key].GetString();
}

// Every line of `text` parsed as one JSON object with a UTC time to the
// millisecond, a level and a message.
std::vector<rapidjson::Document> JsonLines(const std::string& text) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  std::vector<rapidjson::Document> parsed;
  for (const std::string& line : Lines(text)) {
    INFO(line);
    rapidjson::Document document;
    document.Parse(line.c_str(), line.size());
    REQUIRE_FALSE(document.HasParseError());
    REQUIRE(document.IsObject());
    CHECK(std::regex_match(Member(document, "time"), kTime));
    const std::string level = Member(document, "level");
    CHECK((level == "info" || level == "warning" || level == "error"));
    CHECK(document.HasMember("msg"));
    parsed.push_back(std::move(document));
  }
  return parsed;
}

// The access lines (msg "request") for `method` on `route`.
std::vector<const rapidjson::Document*> Requests(const std::vector<rapidjson::Document>& lines,
                                                 const std::string& method, const std::string& route) {
  std::vector<const rapidjson::Document*> found;
  for (const rapidjson::Document& line : lines) {
    if (Member(line, "msg") == "request" && Member(line, "method") == method && Member(line, "route") == route) {
      found.push_back(&line);
    }
  }
  return found;
}

// A project on the gated provider whose repository is the recorded pushes'.
void AddGatedHello(ServeEnv& env) {
  env.GateDir("Codertocat/Hello-World", 3);
  tether::db::ProjectStore projects(&env.cli().db());
  tether::db::NewProject p;
  p.name = "hello";
  p.provider = "gated-provider";
  p.storage = "sql-storage";
  p.repo_url = "Codertocat/Hello-World";
  p.branch = "main";
  REQUIRE(projects.Add(p).ok());
}

std::string PushToMain() {
  std::ifstream in(std::string(TETHER_SOURCE_DIR) + "/tests/fixtures/github/webhooks/push-new-branch.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string body = text.str();
  const std::string ref = "\"ref\": \"refs/heads/master\"";
  const size_t at = body.find(ref);
  REQUIRE(at != std::string::npos);
  return body.replace(at, ref.size(), "\"ref\": \"refs/heads/main\"");
}

}  // namespace

TEST_CASE("serve --log-format json logs every request and webhook delivery as a JSON line without secrets") {
  // The config says text; the flag wins.
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\", \"log_format\": \"text\"");
  AddGatedHello(env);
  const std::string token = env.Token("ops");
  const std::string bearer = "Bearer " + token;
  ServeProcess serve(env.config(), "127.0.0.1:0", {"--log-format", "json"});

  HttpReply project = serve.client().Send("GET", "/api/v1/projects/hello", "", {{"Authorization", bearer}});
  REQUIRE(project.status == 200);
  // A token in a query string (a client's mistake) must not reach the log.
  HttpReply runs = serve.client().Send("GET", "/api/v1/projects/hello/runs?limit=5&access_token=" + token, "",
                                       {{"Authorization", bearer}});
  CHECK(runs.status == 400);
  HttpReply missing = serve.client().Send("GET", "/no/such/path?access_token=" + token);
  CHECK(missing.status == 404);
  HttpReply unauthenticated = serve.client().Send("GET", "/api/v1/projects", "", {{"Authorization", "Bearer wrong"}});
  CHECK(unauthenticated.status == 401);

  const std::string body = PushToMain();
  const std::string signature = tether::webhooks::GithubSignature(kSecret, body);
  HttpReply pushed = serve.client().Send(
      "POST", "/webhooks/github", body,
      {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "delivery-7"}, {"X-Hub-Signature-256", signature}});
  INFO(pushed.body);
  REQUIRE(pushed.status == 202);
  const std::string forged = tether::webhooks::GithubSignature("not the secret", body);
  HttpReply refused = serve.client().Send(
      "POST", "/webhooks/github", body,
      {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "delivery-8"}, {"X-Hub-Signature-256", forged}});
  CHECK(refused.status == 401);
  REQUIRE(Eventually([&] {
    return env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome IN ('succeeded', 'noop')") == 1;
  }));
  REQUIRE(serve.Stop() == 0);

  const std::string log = serve.Stderr();
  INFO(log);
  const std::vector<rapidjson::Document> lines = JsonLines(log);
  REQUIRE(lines.size() >= 8);

  // The route template, not the path; the status, duration and bytes sent.
  std::vector<const rapidjson::Document*> got = Requests(lines, "GET", "/api/v1/projects/{name}");
  REQUIRE(got.size() == 1);
  CHECK((*got[0])["status"].GetInt() == 200);
  CHECK((*got[0])["bytes"].GetInt64() == static_cast<int64_t>(project.body.size()));
  CHECK((*got[0])["duration_ms"].IsNumber());
  CHECK((*got[0])["duration_ms"].GetDouble() >= 0);
  CHECK_THAT(Member(*got[0], "peer"), Catch::StartsWith("127.0.0.1:"));
  got = Requests(lines, "GET", "/api/v1/projects/{name}/runs");
  REQUIRE(got.size() == 1);
  CHECK((*got[0])["status"].GetInt() == 400);
  // No route matched: the path, without its query.
  got = Requests(lines, "GET", "/no/such/path");
  REQUIRE(got.size() == 1);
  CHECK((*got[0])["status"].GetInt() == 404);
  got = Requests(lines, "GET", "/api/v1/projects");
  REQUIRE(got.size() == 1);
  CHECK((*got[0])["status"].GetInt() == 401);
  got = Requests(lines, "POST", "/webhooks/github");
  REQUIRE(got.size() == 2);

  // One line per delivery: which, the event, the repository, what it did.
  std::vector<const rapidjson::Document*> deliveries;
  for (const rapidjson::Document& line : lines) {
    if (line.HasMember("delivery")) deliveries.push_back(&line);
  }
  REQUIRE(deliveries.size() == 2);
  const rapidjson::Document& acted = *deliveries[0];
  CHECK(Member(acted, "delivery") == "delivery-7");
  CHECK(Member(acted, "event") == "push");
  CHECK(Member(acted, "repository") == "Codertocat/Hello-World");
  CHECK(Member(acted, "outcome") == "acted");
  CHECK(acted["triggered"].GetInt() == 1);
  CHECK(Member(acted, "level") == "info");
  const rapidjson::Document& forged_line = *deliveries[1];
  CHECK(Member(forged_line, "delivery") == "delivery-8");
  CHECK(Member(forged_line, "outcome") == "refused");
  CHECK(forged_line["triggered"].GetInt() == 0);
  CHECK(forged_line["status"].GetInt() == 401);
  CHECK(Member(forged_line, "level") == "warning");

  // The sync the push started is logged too.
  bool sync_logged = false;
  for (const rapidjson::Document& line : lines) {
    sync_logged = sync_logged || (Member(line, "project") == "hello" && Member(line, "trigger") == "webhook");
  }
  CHECK(sync_logged);

  // Nothing secret, anywhere.
  CHECK_THAT(log, !Catch::Contains(token));
  CHECK_THAT(log, !Catch::Contains(kSecret));
  CHECK_THAT(log, !Catch::Contains(signature.substr(7)));
  CHECK_THAT(log, !Catch::Contains(forged.substr(7)));
  CHECK_THAT(log, !Catch::Contains("Bearer"));
  CHECK_THAT(log, !Catch::Contains("access_token"));
}

TEST_CASE("serve logs text lines by default and JSON lines when the config's server.log_format says so") {
  SECTION("text") {
    ServeEnv env;
    const std::string token = env.Token("ops");
    ServeProcess serve(env.config());
    REQUIRE(serve.client().Send("GET", "/api/v1/projects", "", {{"Authorization", "Bearer " + token}}).status == 200);
    REQUIRE(serve.Stop() == 0);
    const std::string log = serve.Stderr();
    INFO(log);
    static const std::regex kLine(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info   |warning|error  ) \S.*)");
    for (const std::string& line : Lines(log)) {
      INFO(line);
      CHECK(std::regex_match(line, kLine));
    }
    CHECK(std::regex_search(log, std::regex(R"(info    request method=GET route=/api/v1/projects status=200 duration_ms=[0-9.]+ bytes=[0-9]+ peer=127\.0\.0\.1:[0-9]+)")));
    CHECK_THAT(log, Catch::Contains("info    stopped"));
    CHECK_THAT(log, !Catch::Contains(token));
  }
  SECTION("json from the config") {
    ServeEnv env(R"("log_format": "json")");
    ServeProcess serve(env.config());
    REQUIRE(serve.client().Send("GET", "/healthz").status == 200);
    REQUIRE(serve.Stop() == 0);
    const std::string log = serve.Stderr();
    INFO(log);
    const std::vector<rapidjson::Document> lines = JsonLines(log);
    CHECK(Requests(lines, "GET", "/healthz").size() == 1);
    REQUIRE_FALSE(lines.empty());
    CHECK(Member(lines.back(), "msg") == "stopped");
  }
}

TEST_CASE("a --log-format other than text or json is refused before anything runs") {
  ServeEnv env;
  tether::testing::CliResult result = env.cli().Run("--log-format yaml serve --listen 127.0.0.1:0");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("--log-format") && Catch::Contains("text") && Catch::Contains("json"));
}

TEST_CASE("serve --log-format json says why it cannot start as a JSON line too") {
  ServeEnv env;
  tether::testing::CliResult result = env.cli().Run("--log-format json serve --listen nonsense");
  CHECK(result.exit_code == 2);
  INFO(result.err);
  const std::vector<rapidjson::Document> lines = JsonLines(result.err);
  REQUIRE(lines.size() == 1);
  CHECK(Member(lines[0], "level") == "error");
  CHECK_THAT(Member(lines[0], "msg"), Catch::Contains("must be HOST:PORT"));
  CHECK(Member(lines[0], "code") == "invalid_argument");
}
