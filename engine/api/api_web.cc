// Api: the web page (GET /, GET /assets/{file}). The files are embedded in
// the binary (web_assets.h); they need no token: the page asks its user for
// one and sends it with each API call.
#include "engine/api/api.h"
#include "engine/api/web_assets.h"

namespace tether::api {
namespace {

// The page loads its scripts, styles and icon from this server only, talks
// to this server only, and may not be framed.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// True when an If-None-Match value ("*", or a list of ETags, weak or
// strong) names `etag`.
bool EtagMatches(const std::string& if_none_match, std::string_view etag) {
  size_t start = 0;
  while (start <= if_none_match.size()) {
    size_t end = if_none_match.find(',', start);
    if (end == std::string::npos) end = if_none_match.size();
    std::string_view candidate(if_none_match.data() + start, end - start);
    while (!candidate.empty() && candidate.front() == ' ') candidate.remove_prefix(1);
    while (!candidate.empty() && candidate.back() == ' ') candidate.remove_suffix(1);
    if (candidate.substr(0, 2) == "W/") candidate.remove_prefix(2);
    if (candidate == "*" || candidate == etag) return true;
    start = end + 1;
  }
  return false;
}

HttpResponse ServeAsset(const HttpRequest& request, const WebAsset& asset) {
  HttpResponse response;
  // Revalidated on every load (the names carry no version), cheaply: an
  // unchanged file is a 304 without a body.
  response.headers.emplace_back("ETag", std::string(asset.etag));
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (const std::string* condition = request.Header("if-none-match")) {
    if (EtagMatches(*condition, asset.etag)) {
      response.status = 304;
      return response;
    }
  }
  if (asset.name == "index.html") {
    response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  response.status = 200;
  response.content_type = std::string(asset.content_type);
  response.body = std::string(asset.body);
  return response;
}

}  // namespace

HttpResponse Api::WebPage(Call& call) {
  const WebAsset* index = FindWebAsset("index.html");
  if (index == nullptr) return Fail(ProblemType::kNotFound, "this server has no web page");
  return ServeAsset(call.request, *index);
}

HttpResponse Api::WebFile(Call& call) {
  // Only the embedded files by their exact names: "../x", "a/b" or an
  // encoded slash can name nothing else, as nothing is read from disk.
  const std::string& name = call.params["file"];
  const WebAsset* asset = FindWebAsset(name);
  if (asset == nullptr) return Fail(ProblemType::kNotFound, "no such file: /assets/" + name);
  return ServeAsset(call.request, *asset);
}

}  // namespace tether::api
