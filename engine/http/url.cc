#include "engine/http/url.h"

#include "shared/percent_encoding.h"

namespace tether::http {

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    std::optional<std::string> name = PercentDecode(pair.substr(0, equals), true);
    std::optional<std::string> value =
        PercentDecode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1), true);
    if (!name || !value) {
      return Status::InvalidArgument("query parameter \"" + std::string(pair.substr(0, equals)) +
                                     "\" has a malformed %-escape");
    }
    if (!params.emplace(*name, *value).second) {
      return Status::InvalidArgument("query parameter \"" + *name + "\" is given more than once");
    }
  }
  return params;
}

}  // namespace tether::http
