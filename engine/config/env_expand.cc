#include "engine/config/env_expand.h"

#include "engine/config/json_pointer.h"

namespace tether::config::internal {
namespace {

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// The variable name of the reference whose "${" starts at `start`, or nullopt
// when no well-formed "${NAME}" starts there.
std::optional<std::string_view> ReferenceName(std::string_view text, size_t start) {
  const size_t name_begin = start + 2;
  size_t end = name_begin;
  while (end < text.size() && IsNameChar(text[end])) ++end;
  if (end == name_begin || !IsNameStart(text[name_begin])) return std::nullopt;
  if (end >= text.size() || text[end] != '}') return std::nullopt;
  return text.substr(name_begin, end - name_begin);
}

bool StartsWith(std::string_view text, size_t at, std::string_view prefix) {
  return text.compare(at, prefix.size(), prefix) == 0;
}

tether::Status ExpandStringValue(rapidjson::Value& value, const std::string& pointer,
                                 rapidjson::Document::AllocatorType& allocator,
                                 const EnvLookup& env, std::set<std::string>* expanded) {
  std::string_view text(value.GetString(), value.GetStringLength());
  if (text.find('$') == std::string_view::npos) return tether::Status::Ok();
  bool had_reference = false;
  tether::Result<std::string> result = ExpandString(text, env, &had_reference);
  if (!result.ok()) return result.status().WithContext(DisplayPointer(pointer));
  if (had_reference) expanded->insert(pointer);
  const std::string& out = result.value();
  value.SetString(out.data(), static_cast<rapidjson::SizeType>(out.size()), allocator);
  return tether::Status::Ok();
}

}  // namespace

tether::Result<std::string> ExpandString(std::string_view text, const EnvLookup& env,
                                         bool* had_reference) {
  *had_reference = false;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (StartsWith(text, i, "$${")) {
      out += "${";
      i += 3;
      continue;
    }
    if (!StartsWith(text, i, "${")) {
      out += text[i++];
      continue;
    }
    std::optional<std::string_view> name = ReferenceName(text, i);
    if (!name) {
      return tether::Status::InvalidArgument(
          "malformed variable reference: \"${\" must be followed by a name "
          "([A-Za-z_][A-Za-z0-9_]*) and \"}\" (write \"$${\" for a literal \"${\")");
    }
    const std::string key(*name);
    std::optional<std::string> resolved = env(key);
    if (!resolved) {
      return tether::Status::InvalidArgument("environment variable " + Quote(key) + " is not set");
    }
    *had_reference = true;
    out += *resolved;
    i += name->size() + 3;
  }
  return out;
}

tether::Status ExpandStrings(rapidjson::Value& value, const std::string& pointer,
                             rapidjson::Document::AllocatorType& allocator, const EnvLookup& env,
                             std::set<std::string>* expanded) {
  if (value.IsString()) return ExpandStringValue(value, pointer, allocator, env, expanded);
  if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      TETHER_RETURN_IF_ERROR(
          ExpandStrings(value[i], ChildPointer(pointer, i), allocator, env, expanded));
    }
    return tether::Status::Ok();
  }
  if (value.IsObject()) {
    for (auto member = value.MemberBegin(); member != value.MemberEnd(); ++member) {
      const std::string_view name(member->name.GetString(), member->name.GetStringLength());
      TETHER_RETURN_IF_ERROR(
          ExpandStrings(member->value, ChildPointer(pointer, name), allocator, env, expanded));
    }
  }
  return tether::Status::Ok();
}

}  // namespace tether::config::internal
