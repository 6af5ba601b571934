// Unit tests of the github plugin's parts, compiled from its sources: what
// the fake GitHub cannot show (a plain 403, odd Link headers, clock-based
// waits) is checked here directly.
#include <catch2/catch.hpp>
#include <string>

#include "app_jwt.h"
#include "shared/http_client.h"
#include "http_url.h"
#include "link_header.h"
#include "rate_limit.h"
#include "repo_name.h"
#include "support/git_repo.h"

namespace {

using tether::StatusCode;
using tether::github::ClassifyRateLimit;
using tether::github::FindLink;
using tether::HttpResponse;
using tether::github::RateLimitGate;
using tether::github::RateLimitVerdict;

HttpResponse Answer(long status, std::vector<std::pair<std::string, std::string>> headers,
                    const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  response.body = R"({"message": ")" + message + R"(", "documentation_url": "https://docs.github.com"})";
  return response;
}

}  // namespace

TEST_CASE("Link headers give the next URL exactly as written") {
  const std::string github =
      "<https://api.github.com/repositories/1296269/branches?per_page=100&page=2>; rel=\"next\", "
      "<https://api.github.com/repositories/1296269/branches?per_page=100&page=5>; rel=\"last\"";
  CHECK(FindLink(github, "next") ==
        "https://api.github.com/repositories/1296269/branches?per_page=100&page=2");
  CHECK(FindLink(github, "last") ==
        "https://api.github.com/repositories/1296269/branches?per_page=100&page=5");
  CHECK(FindLink(github, "prev").empty());
  CHECK(FindLink("", "next").empty());
  // Other orders, spacing, unquoted and multiple rels, a comma in a quoted
  // parameter.
  CHECK(FindLink("<a?page=1>;rel=first,<b?page=3>;rel=next", "next") == "b?page=3");
  CHECK(FindLink("<x>; title=\"a, b\"; rel=\"prev\", <y>; rel=\"next last\"", "next") == "y");
  CHECK(FindLink("<x>; title=\"a, b\"; rel=\"prev\", <y>; rel=\"next last\"", "prev") == "x");
  CHECK(FindLink("<x>; REL=NEXT", "next") == "x");
  CHECK(FindLink("<x>; rel=\"nextish\"", "next").empty());
}

TEST_CASE("403 and 429 are rate limits only with a sign of one") {
  const int64_t now = 1700000000;
  SECTION("a plain 403 is not a rate limit") {
    RateLimitVerdict verdict =
        ClassifyRateLimit(Answer(403, {{"x-ratelimit-remaining", "4999"}}, "Resource not accessible by integration"), now);
    CHECK_FALSE(verdict.limited);
  }
  SECTION("primary: remaining 0 waits until the reset") {
    for (long status : {403L, 429L}) {
      RateLimitVerdict verdict = ClassifyRateLimit(
          Answer(status, {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(now + 300)}},
                 "API rate limit exceeded for user ID 1."),
          now);
      CHECK(verdict.limited);
      CHECK_FALSE(verdict.secondary);
      CHECK(verdict.has_wait);
      CHECK(verdict.wait_seconds == 300);
    }
  }
  SECTION("retry-after wins") {
    RateLimitVerdict verdict = ClassifyRateLimit(
        Answer(403, {{"retry-after", "30"}, {"x-ratelimit-remaining", "17"}},
               "You have exceeded a secondary rate limit."),
        now);
    CHECK(verdict.limited);
    CHECK(verdict.secondary);
    CHECK(verdict.wait_seconds == 30);
  }
  SECTION("a secondary limit without retry-after has no wait of its own") {
    for (long status : {403L, 429L}) {
      RateLimitVerdict verdict = ClassifyRateLimit(
          Answer(status, {{"x-ratelimit-remaining", "17"}}, "You have exceeded a secondary rate limit."), now);
      CHECK(verdict.limited);
      CHECK(verdict.secondary);
      CHECK_FALSE(verdict.has_wait);
    }
  }
  SECTION("other statuses never are") {
    CHECK_FALSE(ClassifyRateLimit(Answer(200, {{"x-ratelimit-remaining", "0"}}, ""), now).limited);
    CHECK_FALSE(ClassifyRateLimit(Answer(404, {{"retry-after", "5"}}, "Not Found"), now).limited);
  }
}

TEST_CASE("the rate-limit gate keeps its state in a file for the next process") {
  tether::testing::TempDir dir;
  const std::string file = (dir.path() / "rate-limit.json").string();
  const int64_t now = 1700000000;
  RateLimitVerdict secondary;
  secondary.limited = true;
  secondary.secondary = true;
  secondary.sign = "test";
  {
    RateLimitGate gate(file, 60);
    CHECK(gate.Check(now).ok());
    tether::Status limited = gate.Limit(secondary, now, "GET /x");
    CHECK(limited.code() == StatusCode::kRateLimited);
    CHECK(limited.retry_after_seconds() == 60);
    CHECK_THAT(limited.message(), Catch::StartsWith("rate limited until 2023-11-14T22:14:20Z"));
  }
  RateLimitGate next_process(file, 60);
  CHECK(next_process.Check(now + 59).code() == StatusCode::kRateLimited);
  CHECK(next_process.Check(now + 60).ok());
  // A second secondary limit in a row waits twice as long; after a request
  // that passed, it starts over.
  CHECK(next_process.Limit(secondary, now + 60, "GET /x").retry_after_seconds() == 120);
  next_process.Passed();
  CHECK(next_process.Limit(secondary, now + 200, "GET /x").retry_after_seconds() == 60);
}

TEST_CASE("repository names map from owner/name and URLs of the same server only") {
  using tether::github::ParseRepoName;
  using tether::github::RepoName;
  const std::string api = "https://api.github.com";
  for (const std::string& url :
       {std::string("octo/app"), std::string("octo/app.git"), std::string("https://github.com/octo/app"),
        std::string("https://github.com/octo/app.git"), std::string("https://GitHub.com/octo/app/"),
        std::string("https://api.github.com/octo/app")}) {
    RepoName name;
    INFO(url);
    REQUIRE(ParseRepoName(url, api, &name).ok());
    CHECK(name.owner == "octo");
    CHECK(name.name == "app");
  }
  RepoName ghe;
  REQUIRE(ParseRepoName("https://ghe.example/team/tool.git", "https://ghe.example/api/v3", &ghe).ok());
  CHECK(ghe.FullName() == "team/tool");
  for (const std::string& url :
       {std::string("https://gitlab.com/octo/app"), std::string("https://github.com/octo"),
        std::string("https://user:secret@github.com/octo/app"), std::string("octo/.."),
        std::string("https://github.com:8443/octo/app"), std::string("octo/app?x=1")}) {
    RepoName name;
    INFO(url);
    CHECK(ParseRepoName(url, api, &name).code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("base64url encodes JWT parts without padding") {
  using tether::github::Base64Url;
  CHECK(Base64Url("") == "");
  CHECK(Base64Url("f") == "Zg");
  CHECK(Base64Url("fo") == "Zm8");
  CHECK(Base64Url("foo") == "Zm9v");
  CHECK(Base64Url(std::string("\xfb\xff\xbf", 3)) == "-_-_");
  CHECK(Base64Url(R"({"alg":"RS256","typ":"JWT"})") == "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9");
}
