// Router: the route table of the HTTP API. A route is a method and a path
// pattern whose segments are literals, "{name}" (one segment) or, last,
// "{name...}" (the rest of the path, at least one segment, slashes kept).
// Parameters are percent-decoded. The same patterns, with "{name...}"
// written "{name}", are the paths of the OpenAPI document; a test keeps the
// two equal.
//
// Thread safety: immutable after construction; Find may be called from any
// thread.
#ifndef TETHER_ENGINE_HTTP_ROUTER_H_
#define TETHER_ENGINE_HTTP_ROUTER_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tether::http {

struct RouteSpec {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // "/api/v1/projects/{name}/documents/{path...}"
};

class Router {
 public:
  explicit Router(std::vector<RouteSpec> routes);

  struct Match {
    enum class Outcome { kFound, kNoSuchPath, kWrongMethod, kBadEncoding };
    Outcome outcome = Outcome::kNoSuchPath;
    size_t index = 0;                           // kFound: the route's position in the table
    std::map<std::string, std::string> params;  // kFound: decoded parameters
    std::string allow;                          // kWrongMethod: "GET, POST"
  };

  // Matches `raw_path` (percent-encoded, without the query).
  Match Find(std::string_view method, std::string_view raw_path) const;

  const std::vector<RouteSpec>& routes() const { return routes_; }

  // `pattern` as an OpenAPI path: "{path...}" becomes "{path}".
  static std::string OpenApiPath(const std::string& pattern);

 private:
  std::vector<RouteSpec> routes_;
  std::vector<std::vector<std::string>> segments_;  // per route
};

}  // namespace tether::http

#endif  // TETHER_ENGINE_HTTP_ROUTER_H_
