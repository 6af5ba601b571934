#include "engine/config/json_checks.h"

#include <set>
#include <string_view>

#include <rapidjson/schema.h>

#include "engine/config/json_pointer.h"
#include "engine/config/schema_errors.h"

namespace tether::config {
namespace {

using internal::ChildPointer;
using internal::DisplayPointer;
using internal::Quote;

std::optional<JsonViolation> Walk(const rapidjson::Value& value, const std::string& pointer, int depth,
                                  int max_depth) {
  if (depth > max_depth) {
    return JsonViolation{pointer, "nested more than " + std::to_string(max_depth) + " levels deep"};
  }
  if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      std::optional<JsonViolation> found = Walk(value[i], ChildPointer(pointer, i), depth + 1, max_depth);
      if (found) return found;
    }
    return std::nullopt;
  }
  if (!value.IsObject()) return std::nullopt;
  std::set<std::string_view> seen;
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    const std::string child = ChildPointer(pointer, name);
    if (!seen.insert(name).second) {
      return JsonViolation{child, "property " + Quote(name) + " appears more than once in " + DisplayPointer(pointer)};
    }
    std::optional<JsonViolation> found = Walk(it->value, child, depth + 1, max_depth);
    if (found) return found;
  }
  return std::nullopt;
}

}  // namespace

std::string JsonViolation::ToString() const { return DisplayPointer(pointer) + ": " + message; }

std::optional<JsonViolation> CheckJsonStructure(const rapidjson::Value& document, int max_depth) {
  return Walk(document, "", 0, max_depth);
}

std::optional<JsonViolation> CheckJsonSchema(const rapidjson::Value& schema, const rapidjson::Value& document) {
  const rapidjson::SchemaDocument schema_document(schema);
  rapidjson::SchemaValidator validator(schema_document);
  if (document.Accept(validator)) return std::nullopt;
  internal::SchemaViolationParts parts = internal::DescribeSchemaViolationParts(validator, schema, document);
  return JsonViolation{std::move(parts.pointer), std::move(parts.expected)};
}

}  // namespace tether::config
