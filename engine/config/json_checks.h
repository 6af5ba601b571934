// Checks of a parsed JSON document that every reader of JSON input in the
// engine shares (the config loader, the HTTP API's request bodies): no
// member given twice, no absurd nesting, and a JSON Schema (draft-04, as
// RapidJSON 1.1 implements it). Each violation names its place as a JSON
// pointer and says what was expected; no message ever quotes a string value
// of the checked document (it may be a secret), only member names and what
// the schema expects.
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_CONFIG_JSON_CHECKS_H_
#define TETHER_ENGINE_CONFIG_JSON_CHECKS_H_

#include <optional>
#include <string>

#include <rapidjson/document.h>

namespace tether::config {

struct JsonViolation {
  std::string pointer;  // RFC 6901 JSON pointer of the offending value; "" for the root
  std::string message;  // what was expected, e.g. "must be a string (found an integer) (schema keyword \"type\")"

  // "<pointer>: <message>", the pointer shown as "(root)" when empty.
  std::string ToString() const;
};

// The first member name that appears twice in one object (RapidJSON keeps
// both; a schema cannot see it), or the first value nested deeper than
// `max_depth`. Recurses at most `max_depth` + 1 levels.
std::optional<JsonViolation> CheckJsonStructure(const rapidjson::Value& document, int max_depth);

// The first violation of `schema` by `document`. Builds the schema on each
// call: RapidJSON's schema regexes keep scratch state, so one SchemaDocument
// must not validate on two threads at once. A `schema` that is not a valid
// schema object is a programming error.
std::optional<JsonViolation> CheckJsonSchema(const rapidjson::Value& schema, const rapidjson::Value& document);

}  // namespace tether::config

#endif  // TETHER_ENGINE_CONFIG_JSON_CHECKS_H_
