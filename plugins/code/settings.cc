#include "settings.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "tether/json_depth.h"

namespace tether {
namespace code {

Result<CodeSettings> ParseSettings(const std::string& plugin_name, const std::string& json) {
  const std::string prefix = "settings of plugin '" + plugin_name + "' (code): ";
  auto error = [&](const std::string& message) { return Status::InvalidArgument(prefix + message); };

  CodeSettings settings;
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
    return error("unknown key \"" + key + "\" (the code analyzer has no settings yet: use {})");
  }
  return settings;
}

std::string SettingsHash(const CodeSettings&) { return ""; }

}  // namespace code
}  // namespace tether
