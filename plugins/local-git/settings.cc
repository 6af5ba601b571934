#include "settings.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cctype>

#include "tether/json_depth.h"

namespace tether {
namespace local_git {

Result<LocalGitSettings> ParseSettings(const std::string& plugin_name, const std::string& json) {
  const std::string prefix = "settings of plugin '" + plugin_name + "' (local-git): ";
  auto error = [&](const std::string& message) { return Status::InvalidArgument(prefix + message); };

  LocalGitSettings settings;
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || json.compare(first, 4, "null") == 0) return settings;
  const size_t too_deep = JsonDepthExceededAt(json);
  if (too_deep != std::string::npos) {
    return error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels at offset " +
                 std::to_string(too_deep));
  }
  rapidjson::Document document;
  document.Parse(json.c_str(), json.size());
  if (document.HasParseError()) {
    return error("not valid JSON at offset " + std::to_string(document.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (document.IsNull()) return settings;
  if (!document.IsObject()) return error("must be a JSON object");

  for (auto member = document.MemberBegin(); member != document.MemberEnd(); ++member) {
    const std::string key(member->name.GetString(), member->name.GetStringLength());
    if (key != "allowed_roots") {
      return error("unknown key \"" + key + "\" (the only setting is \"allowed_roots\")");
    }
    const rapidjson::Value& list = member->value;
    if (!list.IsArray()) return error("allowed_roots must be a list of absolute directory paths");
    if (list.Empty()) {
      return error("allowed_roots is empty: list the directories repositories may be in, or remove the key");
    }
    std::vector<std::string> roots;
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      const std::string where = "allowed_roots[" + std::to_string(i) + "]";
      if (!list[i].IsString()) return error(where + " must be a string");
      const std::string root(list[i].GetString(), list[i].GetStringLength());
      if (root.empty() || root.find('\0') != std::string::npos) {
        return error(where + " must be a non-empty path without NUL bytes");
      }
      if (root.front() != '/') return error(where + " \"" + root + "\" must be an absolute path");
      roots.push_back(root);
    }
    settings.allowed_roots = std::move(roots);
  }
  return settings;
}

}  // namespace local_git
}  // namespace tether
