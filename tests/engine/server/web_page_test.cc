// The web page's routes over real HTTP: GET / and GET /assets/{file} answer
// without a token, with the embedded files, their types and ETags (304 when
// unchanged), and nothing else: no other name, no path out of the folder.
// The page itself is tested in a browser (tests/web).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "engine/api/web_assets.h"
#include "serve_harness.h"

using tether::api::FindWebAsset;
using tether::api::WebAssets;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;

TEST_CASE("the web page and its files are served without a token, with their types and ETags") {
  ServeEnv env;
  ServeProcess server(env.config());
  HttpReply page = server.client().Send("GET", "/");
  REQUIRE(page.status == 200);
  CHECK(page.Header("content-type") == "text/html; charset=utf-8");
  CHECK(page.body == std::string(FindWebAsset("index.html")->body));
  CHECK_THAT(page.Header("content-security-policy"), Catch::Contains("default-src 'none'"));
  CHECK_THAT(page.Header("content-security-policy"), Catch::Contains("script-src 'self'"));
  CHECK(page.Header("cache-control") == "no-cache");
  CHECK(page.Header("etag") == std::string(FindWebAsset("index.html")->etag));

  // Every file the page refers to is embedded and served with its type.
  std::set<std::string> referenced;
  const std::regex asset_ref("/assets/([A-Za-z0-9._-]+)");
  for (std::sregex_iterator it(page.body.begin(), page.body.end(), asset_ref), end; it != end; ++it) {
    referenced.insert((*it)[1].str());
  }
  CHECK(referenced == std::set<std::string>{"app.js", "style.css", "icon.svg"});
  for (const auto& asset : WebAssets()) {
    INFO(asset.name);
    HttpReply file = server.client().Send("GET", "/assets/" + std::string(asset.name));
    REQUIRE(file.status == 200);
    CHECK(file.Header("content-type") == std::string(asset.content_type));
    CHECK(file.Header("x-content-type-options") == "nosniff");
    CHECK(file.Header("etag") == std::string(asset.etag));
    CHECK(file.body == std::string(asset.body));
  }
  CHECK(FindWebAsset("app.js")->content_type == "text/javascript; charset=utf-8");
  CHECK(FindWebAsset("style.css")->content_type == "text/css; charset=utf-8");
}

TEST_CASE("the embedded files are the files of engine/api/web byte for byte") {
  REQUIRE(WebAssets().size() == 4);
  for (const auto& asset : WebAssets()) {
    INFO(asset.name);
    std::ifstream in(std::string(TETHER_SOURCE_DIR) + "/engine/api/web/" + std::string(asset.name),
                     std::ios::binary);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == std::string(asset.body));
  }
}

TEST_CASE("an unchanged web file is a 304 without a body") {
  ServeEnv env;
  ServeProcess server(env.config());
  const std::string etag(FindWebAsset("app.js")->etag);
  for (const std::string& condition : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    INFO(condition);
    HttpReply same = server.client().Send("GET", "/assets/app.js", "", {{"If-None-Match", condition}});
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    CHECK(same.Header("etag") == etag);
  }
  HttpReply changed = server.client().Send("GET", "/assets/app.js", "", {{"If-None-Match", "\"older\""}});
  CHECK(changed.status == 200);
  CHECK(server.client().Send("GET", "/", "", {{"If-None-Match", std::string(FindWebAsset("index.html")->etag)}})
            .status == 304);
}

TEST_CASE("nothing but the embedded files is served under /assets/") {
  ServeEnv env;
  ServeProcess server(env.config());
  for (const std::string target :
       {"/assets/nope.js", "/assets/../api/v1/status", "/assets/..%2f..%2ftether.json", "/assets/%2e%2e",
        "/assets/a/b", "/assets/", "/assets", "/assets/APP.JS", "/assets/app.js%00", "/index.html",
        "/assets/./app.js"}) {
    INFO(target);
    HttpReply reply = server.client().SendRaw("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK((reply.status == 404 || reply.status == 400));
    CHECK(reply.Header("content-type") == "application/problem+json");
    CHECK(reply.body.find("<html") == std::string::npos);
  }
  HttpReply post = server.client().Send("POST", "/", "{}");
  CHECK(post.status == 405);
  CHECK(post.Header("allow") == "GET");
}
