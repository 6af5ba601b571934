// Turns RapidJSON's report of a JSON Schema violation into a message people
// can act on. Internal to engine/config.
//
// RapidJSON 1.1 reports only the JSON pointer of the offending value, the
// pointer of the failing (sub)schema and the failing keyword; the rest (the
// expected values, the unknown or missing property) is read here from the
// schema and the document.
//
// Thread safety: pure function.
#ifndef TETHER_ENGINE_CONFIG_SCHEMA_ERRORS_H_
#define TETHER_ENGINE_CONFIG_SCHEMA_ERRORS_H_

#include <string>

#include <rapidjson/document.h>
#include <rapidjson/schema.h>

namespace tether::config::internal {

// Describes the violation `validator` stopped at (it must have failed) as
// "<JSON pointer>: <what was expected> (schema keyword "<keyword>")", e.g.
//   /plugins/1/kind: must be one of "provider", "storage", "analyzer" (schema keyword "enum")
//   /databse: unknown property "databse" (did you mean "database"?); allowed: ...
// For a "pattern" violation the failing subschema's "description" is shown
// as what was expected. `schema` is the document the validator's
// SchemaDocument was built from and `document` the validated one. Never
// quotes a string value of `document` (it may be a secret); it quotes member
// names and what the schema expects.
std::string DescribeSchemaViolation(const rapidjson::SchemaValidator& validator,
                                    const rapidjson::Value& schema,
                                    const rapidjson::Value& document);

// The same, in two parts: the JSON pointer of the offending place ("" for
// the root) and what was expected (the text after "<pointer>: " above).
struct SchemaViolationParts {
  std::string pointer;
  std::string expected;
};
SchemaViolationParts DescribeSchemaViolationParts(const rapidjson::SchemaValidator& validator,
                                                  const rapidjson::Value& schema,
                                                  const rapidjson::Value& document);

}  // namespace tether::config::internal

#endif  // TETHER_ENGINE_CONFIG_SCHEMA_ERRORS_H_
