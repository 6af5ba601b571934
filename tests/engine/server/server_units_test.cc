// The server's pure parts: the route table against the OpenAPI document,
// the router, URL decoding and listen addresses.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>

#include "shared/percent_encoding.h"
#include "engine/api/api.h"
#include "engine/http/http_server.h"
#include "engine/api/openapi.h"
#include "engine/http/router.h"
#include "engine/http/url.h"
#include "engine/workers/worker_pool.h"

#include <atomic>
#include <chrono>
#include <future>

using tether::api::Api;
using tether::api::OpenApiDocument;
using tether::http::Router;

namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::set<std::pair<std::string, std::string>> DocumentedOperations() {
  std::set<std::pair<std::string, std::string>> operations;
  const rapidjson::Value& paths = OpenApiDocument()["paths"];
  for (auto path = paths.MemberBegin(); path != paths.MemberEnd(); ++path) {
    for (auto item = path->value.MemberBegin(); item != path->value.MemberEnd(); ++item) {
      const std::string key = item->name.GetString();
      if (key == "parameters" || key == "summary" || key == "description") continue;
      operations.emplace(key, path->name.GetString());
    }
  }
  return operations;
}

}  // namespace

TEST_CASE("every route is in the OpenAPI document and every documented operation is a route") {
  std::set<std::pair<std::string, std::string>> routes;
  for (const tether::http::RouteSpec& route : Api::Routes()) {
    routes.emplace(Lower(route.method), Router::OpenApiPath(route.pattern));
  }
  const auto documented = DocumentedOperations();
  for (const auto& route : routes) {
    INFO(route.first << " " << route.second);
    CHECK(documented.count(route) == 1);
  }
  for (const auto& operation : documented) {
    INFO(operation.first << " " << operation.second);
    CHECK(routes.count(operation) == 1);
  }
  CHECK(routes.size() == Api::Routes().size());
}

TEST_CASE("the OpenAPI document is version 3 and every request body schema refuses unknown members") {
  const rapidjson::Document& doc = OpenApiDocument();
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["openapi"].GetString()).rfind("3.", 0) == 0);
  int bodies = 0;
  const rapidjson::Value& paths = doc["paths"];
  for (auto path = paths.MemberBegin(); path != paths.MemberEnd(); ++path) {
    // Webhook payloads are the sender's format, and /mcp's JSON-RPC is the
    // Model Context Protocol's (engine/mcp checks it): not ours to make strict.
    if (std::string(path->name.GetString()).rfind("/webhooks/", 0) == 0) continue;
    if (std::string(path->name.GetString()) == "/mcp") continue;
    for (auto item = path->value.MemberBegin(); item != path->value.MemberEnd(); ++item) {
      if (!item->value.IsObject() || !item->value.HasMember("requestBody")) continue;
      const std::string ref =
          item->value["requestBody"]["content"]["application/json"]["schema"]["$ref"].GetString();
      const std::string name = ref.substr(ref.rfind('/') + 1);
      INFO(name);
      const rapidjson::Value& schema = doc["components"]["schemas"][name.c_str()];
      REQUIRE(schema.HasMember("additionalProperties"));
      CHECK(schema["additionalProperties"].IsFalse());
      ++bodies;
    }
  }
  CHECK(bodies == 6);  // create and change a project, start a sync, cancel a run, verify, backfill
}

TEST_CASE("the router decodes parameters and tells wrong methods from unknown paths") {
  Router router(Api::Routes());
  Router::Match one = router.Find("GET", "/api/v1/projects/web/documents/src/a%20b.cc");
  REQUIRE(one.outcome == Router::Match::Outcome::kFound);
  CHECK(one.params["name"] == "web");
  CHECK(one.params["path"] == "src/a b.cc");
  CHECK(Api::Routes()[one.index].pattern == "/api/v1/projects/{name}/documents/{path...}");

  Router::Match run = router.Find("GET", "/api/v1/projects/web/runs/12");
  REQUIRE(run.outcome == Router::Match::Outcome::kFound);
  CHECK(run.params["id"] == "12");

  Router::Match wrong = router.Find("PUT", "/api/v1/projects/web");
  CHECK(wrong.outcome == Router::Match::Outcome::kWrongMethod);
  CHECK(wrong.allow == "GET, PATCH, DELETE");

  CHECK(router.Find("GET", "/api/v1/nothing").outcome == Router::Match::Outcome::kNoSuchPath);
  CHECK(router.Find("GET", "/api/v1/projects/").outcome == Router::Match::Outcome::kNoSuchPath);
  CHECK(router.Find("GET", "/api/v1/projects/web/documents").outcome == Router::Match::Outcome::kFound);
  CHECK(router.Find("GET", "/api/v1/projects/w%zzb").outcome == Router::Match::Outcome::kBadEncoding);
  CHECK(Router::OpenApiPath("/a/{path...}") == "/a/{path}");
}

TEST_CASE("query strings are decoded and a parameter given twice is refused") {
  auto parsed = tether::http::ParseQuery("limit=5&cursor=a%2Fb&q=x+y&flag");
  REQUIRE(parsed.ok());
  CHECK(parsed->at("limit") == "5");
  CHECK(parsed->at("cursor") == "a/b");
  CHECK(parsed->at("q") == "x y");
  CHECK(parsed->at("flag").empty());
  auto twice = tether::http::ParseQuery("limit=1&limit=2");
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(twice.status().message(), Catch::Contains("\"limit\" is given more than once"));
  CHECK_FALSE(tether::http::ParseQuery("a=%4").ok());
  CHECK_FALSE(tether::PercentDecode("%00").has_value());
  CHECK(tether::PercentEncode("a b/c", "/") == "a%20b/c");
}

TEST_CASE("listen addresses are parsed with clear errors") {
  auto v4 = tether::http::ParseListenAddress("127.0.0.1:8080");
  REQUIRE(v4.ok());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 8080);
  auto v6 = tether::http::ParseListenAddress("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  CHECK_THAT(tether::http::ParseListenAddress("localhost:80").status().message(),
             Catch::Contains("is not an IP address"));
  CHECK_THAT(tether::http::ParseListenAddress("127.0.0.1:65536").status().message(),
             Catch::Contains("from 0 to 65535"));
  CHECK_THAT(tether::http::ParseListenAddress("127.0.0.1").status().message(), Catch::Contains("HOST:PORT"));
}

TEST_CASE("a worker pool calls its done hook after the task's place is free") {
  // The sync workers wake the scheduler from this hook: a place still taken
  // then sent it back to waiting, and the free place stood idle until its
  // next poll.
  tether::workers::WorkerPool pool("test", "sqlite::memory:", 1, 0);
  std::promise<bool> reserved_in_hook;
  std::atomic<int> calls{0};
  pool.OnTaskDone([&] {
    if (calls++ == 0) reserved_in_hook.set_value(pool.TryReserve().has_value());
  });
  auto ticket = pool.TryReserve();
  REQUIRE(ticket.has_value());
  CHECK_FALSE(pool.TryReserve().has_value());  // one place, taken
  pool.Submit(std::move(*ticket), [](tether::workers::WorkerContext&) {});
  auto done = reserved_in_hook.get_future();
  REQUIRE(done.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(done.get());
  pool.Shutdown(tether::workers::WorkerPool::ShutdownMode::kDrain);
}
