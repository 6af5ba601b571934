#include "shared/plugin_settings.h"

#include <rapidjson/error/en.h>

#include "tether/json_depth.h"

namespace tether {

Status ParsePluginSettings(const std::string& context, const std::string& json, rapidjson::Document* out) {
  out->SetObject();
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Status::Ok();
  const size_t too_deep = JsonDepthExceededAt(json);
  if (too_deep != std::string::npos) {
    return Status::InvalidArgument(context + "JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                                   " levels at offset " + std::to_string(too_deep));
  }
  rapidjson::Document parsed;
  parsed.Parse(json.c_str(), json.size());
  if (parsed.HasParseError()) {
    return Status::InvalidArgument(context + "not valid JSON at offset " + std::to_string(parsed.GetErrorOffset()) +
                                   ": " + rapidjson::GetParseError_En(parsed.GetParseError()));
  }
  if (parsed.IsNull()) return Status::Ok();
  if (!parsed.IsObject()) return Status::InvalidArgument(context + "must be a JSON object");
  out->Swap(parsed);
  return Status::Ok();
}

}  // namespace tether
