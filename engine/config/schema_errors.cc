#include "engine/config/schema_errors.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>

#include "engine/common/edit_distance.h"
#include "engine/common/json_writer.h"
#include "engine/config/json_pointer.h"

namespace tether::config::internal {
namespace {

using PointerType = rapidjson::SchemaValidator::PointerType;

// What a violation is about, gathered from the validator's report.
struct Violation {
  std::string pointer;                       // the offending value, in the document
  std::string keyword;                       // the schema keyword that failed
  const rapidjson::Value* schema = nullptr;  // the failing (sub)schema, if found
  const rapidjson::Value* value = nullptr;   // the offending value, if found
};

std::string ToString(const PointerType& pointer) {
  rapidjson::StringBuffer buffer;
  pointer.Stringify(buffer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// A schema value (an enum member, a bound) as JSON text.
std::string ToJson(const rapidjson::Value& value) {
  CompactJsonWriter json;
  value.Accept(json.writer());
  return json.Text();
}

std::string_view Name(const rapidjson::Value& string) {
  return std::string_view(string.GetString(), string.GetStringLength());
}

const rapidjson::Value* Member(const rapidjson::Value* object, const char* name) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  auto it = object->FindMember(name);
  return it == object->MemberEnd() ? nullptr : &it->value;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string Plural(const rapidjson::Value* count, const char* noun) {
  const std::string n = count == nullptr ? "?" : ToJson(*count);
  return n + " " + noun + (n == "1" ? "" : "s");
}

const char* TypePhrase(std::string_view type) {
  if (type == "object") return "an object";
  if (type == "array") return "an array";
  if (type == "string") return "a string";
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  if (type == "boolean") return "a boolean";
  if (type == "null") return "null";
  return "of an unknown type";
}

const char* FoundPhrase(const rapidjson::Value& value) {
  if (value.IsObject()) return "an object";
  if (value.IsArray()) return "an array";
  if (value.IsString()) return "a string";
  if (value.IsBool()) return "a boolean";
  if (value.IsNull()) return "null";
  if (value.IsInt64() || value.IsUint64()) return "an integer";
  return "a number with a fraction or exponent";
}

std::string ExpectedType(const Violation& v) {
  const rapidjson::Value* type = Member(v.schema, "type");
  std::vector<std::string> phrases;
  if (type != nullptr && type->IsString()) phrases.push_back(TypePhrase(Name(*type)));
  if (type != nullptr && type->IsArray()) {
    for (const auto& t : type->GetArray()) {
      if (t.IsString()) phrases.push_back(TypePhrase(Name(t)));
    }
  }
  std::string out = "must be " + Join(phrases, " or ");
  if (v.value != nullptr) out += std::string(" (found ") + FoundPhrase(*v.value) + ")";
  return out;
}

std::string ExpectedEnum(const Violation& v) {
  const rapidjson::Value* values = Member(v.schema, "enum");
  std::vector<std::string> items;
  if (values != nullptr && values->IsArray()) {
    for (const auto& item : values->GetArray()) items.push_back(ToJson(item));
  }
  return "must be one of " + Join(items, ", ");
}

std::vector<std::string> AllowedProperties(const rapidjson::Value* schema) {
  std::vector<std::string> names;
  const rapidjson::Value* properties = Member(schema, "properties");
  if (properties == nullptr || !properties->IsObject()) return names;
  for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
    names.emplace_back(Name(it->name));
  }
  return names;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string Suggestion(std::string_view name, const std::vector<std::string>& allowed) {
  const std::string* best = nullptr;
  size_t best_distance = 3;  // suggest only close matches
  for (const std::string& candidate : allowed) {
    const size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best = &candidate;
      best_distance = d;
    }
  }
  return best == nullptr ? "" : " (did you mean " + Quote(*best) + "?)";
}

// The first member of `object` not in `allowed`, or nullptr.
const rapidjson::Value* FirstUnknownMember(const rapidjson::Value& object,
                                           const std::vector<std::string>& allowed) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (!Contains(allowed, Name(it->name))) return &it->name;
  }
  return nullptr;
}

// The name of the member of `object` (at `object_pointer`) that `pointer`
// points at, when that member is not in `allowed`; nullptr otherwise.
const rapidjson::Value* UnknownMemberAt(const rapidjson::Value& object,
                                        const std::string& object_pointer,
                                        const std::string& pointer,
                                        const std::vector<std::string>& allowed) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (ChildPointer(object_pointer, Name(it->name)) != pointer) continue;
    return Contains(allowed, Name(it->name)) ? nullptr : &it->name;
  }
  return nullptr;
}

// RapidJSON 1.1 reports the pointer of the unknown member itself (so its
// value, not its name, is at the pointer); later versions report the object
// holding it. Either way, find the name here and point `v.pointer` at the
// member.
std::string UnknownProperty(Violation& v, const std::string& parent_pointer,
                            const rapidjson::Value* parent) {
  const std::vector<std::string> allowed = AllowedProperties(v.schema);
  std::vector<std::string> quoted;
  for (const std::string& name : allowed) quoted.push_back(Quote(name));
  const std::string allowed_text = "; allowed: " + (quoted.empty() ? "none" : Join(quoted, ", "));

  const rapidjson::Value* name = nullptr;
  std::string object_pointer;
  if (parent != nullptr && parent->IsObject() && !v.pointer.empty()) {
    name = UnknownMemberAt(*parent, parent_pointer, v.pointer, allowed);
    object_pointer = parent_pointer;
  }
  if (name == nullptr && v.value != nullptr && v.value->IsObject()) {
    name = FirstUnknownMember(*v.value, allowed);
    object_pointer = v.pointer;
  }
  if (name == nullptr) return "has an unknown property" + allowed_text;
  v.pointer = ChildPointer(object_pointer, Name(*name));
  return "unknown property " + Quote(Name(*name)) + Suggestion(Name(*name), allowed) + allowed_text;
}

std::string MissingRequired(const Violation& v) {
  const rapidjson::Value* required = Member(v.schema, "required");
  std::vector<std::string> missing;
  if (required != nullptr && required->IsArray() && v.value != nullptr && v.value->IsObject()) {
    for (const auto& name : required->GetArray()) {
      if (name.IsString() && !v.value->HasMember(name)) missing.push_back(Quote(Name(name)));
    }
  }
  if (missing.empty()) return "misses a required property";
  return std::string("missing required propert") + (missing.size() == 1 ? "y " : "ies ") +
         Join(missing, ", ");
}

// The schema's description of a patterned value says in words what the
// pattern wants, so it is shown too; such descriptions read "a ...".
std::string ExpectedPattern(const Violation& v) {
  const rapidjson::Value* pattern = Member(v.schema, "pattern");
  std::string out = "does not match the pattern ";
  out += (pattern != nullptr && pattern->IsString()) ? ToJson(*pattern) : "?";
  const rapidjson::Value* description = Member(v.schema, "description");
  if (description != nullptr && description->IsString()) {
    out += " (expected " + std::string(Name(*description)) + ")";
  }
  return out;
}

std::string ExpectedBound(const Violation& v, bool lower) {
  const rapidjson::Value* bound = Member(v.schema, lower ? "minimum" : "maximum");
  const rapidjson::Value* exclusive =
      Member(v.schema, lower ? "exclusiveMinimum" : "exclusiveMaximum");
  const bool strict = exclusive != nullptr && exclusive->IsBool() && exclusive->GetBool();
  std::string op = lower ? (strict ? "> " : ">= ") : (strict ? "< " : "<= ");
  return "must be " + op + (bound == nullptr ? "?" : ToJson(*bound));
}

// What was expected, for keyword `v.keyword`; may move `v.pointer` to a
// more precise place.
std::string Expectation(Violation& v, const std::string& parent_pointer,
                        const rapidjson::Value* parent) {
  const std::string& k = v.keyword;
  if (k == "type") return ExpectedType(v);
  if (k == "enum") return ExpectedEnum(v);
  if (k == "additionalProperties") return UnknownProperty(v, parent_pointer, parent);
  if (k == "required") return MissingRequired(v);
  if (k == "pattern") return ExpectedPattern(v);
  if (k == "minimum") return ExpectedBound(v, /*lower=*/true);
  if (k == "maximum") return ExpectedBound(v, /*lower=*/false);
  if (k == "minLength") {
    return "must be at least " + Plural(Member(v.schema, "minLength"), "character") + " long";
  }
  if (k == "maxLength") {
    return "must be at most " + Plural(Member(v.schema, "maxLength"), "character") + " long";
  }
  if (k == "minItems") return "must have at least " + Plural(Member(v.schema, "minItems"), "item");
  if (k == "maxItems") return "must have at most " + Plural(Member(v.schema, "maxItems"), "item");
  if (k == "minProperties") {
    return "must have at least " + Plural(Member(v.schema, "minProperties"), "property");
  }
  if (k == "maxProperties") {
    return "must have at most " + Plural(Member(v.schema, "maxProperties"), "property");
  }
  if (k == "uniqueItems") return "must not hold the same item twice";
  if (k == "multipleOf") {
    const rapidjson::Value* m = Member(v.schema, "multipleOf");
    return "must be a multiple of " + (m == nullptr ? std::string("?") : ToJson(*m));
  }
  return "does not satisfy the schema";
}

}  // namespace

std::string DescribeSchemaViolation(const rapidjson::SchemaValidator& validator,
                                    const rapidjson::Value& schema,
                                    const rapidjson::Value& document) {
  const SchemaViolationParts parts = DescribeSchemaViolationParts(validator, schema, document);
  return DisplayPointer(parts.pointer) + ": " + parts.expected;
}

SchemaViolationParts DescribeSchemaViolationParts(const rapidjson::SchemaValidator& validator,
                                                  const rapidjson::Value& schema,
                                                  const rapidjson::Value& document) {
  const PointerType document_pointer = validator.GetInvalidDocumentPointer();
  const PointerType schema_pointer = validator.GetInvalidSchemaPointer();
  const char* keyword = validator.GetInvalidSchemaKeyword();

  Violation v;
  v.pointer = ToString(document_pointer);
  v.keyword = keyword == nullptr ? "?" : keyword;
  v.schema = schema_pointer.Get(schema);
  v.value = document_pointer.Get(document);

  // The value holding the offending one, for keywords that report a member.
  std::string parent_pointer;
  const rapidjson::Value* parent = nullptr;
  const size_t tokens = document_pointer.GetTokenCount();
  if (tokens > 0) {
    const PointerType up(document_pointer.GetTokens(), tokens - 1);
    parent_pointer = ToString(up);
    parent = up.Get(document);
  }

  const std::string what = Expectation(v, parent_pointer, parent);
  return SchemaViolationParts{v.pointer, what + " (schema keyword " + Quote(v.keyword) + ")"};
}

}  // namespace tether::config::internal
