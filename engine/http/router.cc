#include "engine/http/router.h"

#include <optional>

#include "shared/percent_encoding.h"

namespace tether::http {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool IsParam(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool IsRestParam(const std::string& segment) {
  return IsParam(segment) && segment.size() > 5 && segment.compare(segment.size() - 4, 4, "...}") == 0;
}

std::string ParamName(const std::string& segment) {
  return segment.substr(1, segment.size() - (IsRestParam(segment) ? 5 : 2));
}

enum class PathMatch { kNo, kYes, kBadEncoding };

PathMatch MatchPath(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::map<std::string, std::string>* params) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsRestParam(pattern[i])) {
      if (i >= path.size()) return PathMatch::kNo;
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) rest += (j == i ? "" : "/") + path[j];
      if (rest.empty()) return PathMatch::kNo;
      std::optional<std::string> decoded = PercentDecode(rest);
      if (!decoded) return PathMatch::kBadEncoding;
      (*params)[ParamName(pattern[i])] = *decoded;
      return PathMatch::kYes;
    }
    if (i >= path.size()) return PathMatch::kNo;
    if (IsParam(pattern[i])) {
      if (path[i].empty()) return PathMatch::kNo;
      std::optional<std::string> decoded = PercentDecode(path[i]);
      if (!decoded) return PathMatch::kBadEncoding;
      (*params)[ParamName(pattern[i])] = *decoded;
      continue;
    }
    if (pattern[i] != path[i]) return PathMatch::kNo;
  }
  return pattern.size() == path.size() ? PathMatch::kYes : PathMatch::kNo;
}

}  // namespace

Router::Router(std::vector<RouteSpec> routes) : routes_(std::move(routes)) {
  for (const RouteSpec& route : routes_) segments_.push_back(Split(route.pattern));
}

Router::Match Router::Find(std::string_view method, std::string_view raw_path) const {
  const std::vector<std::string> path = Split(raw_path);
  Match match;
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::map<std::string, std::string> params;
    const PathMatch found = MatchPath(segments_[i], path, &params);
    if (found == PathMatch::kBadEncoding) {
      match.outcome = Match::Outcome::kBadEncoding;
      return match;
    }
    if (found == PathMatch::kNo) continue;
    if (routes_[i].method == method) {
      match.outcome = Match::Outcome::kFound;
      match.index = i;
      match.params = std::move(params);
      match.allow.clear();
      return match;
    }
    match.outcome = Match::Outcome::kWrongMethod;
    match.allow += (match.allow.empty() ? "" : ", ") + routes_[i].method;
  }
  return match;
}

std::string Router::OpenApiPath(const std::string& pattern) {
  std::string out;
  for (const std::string& segment : Split(pattern)) {
    out += "/" + (IsRestParam(segment) ? "{" + ParamName(segment) + "}" : segment);
  }
  return out;
}

}  // namespace tether::http
