#include "languages.h"

#include <algorithm>

extern "C" {
const TSLanguage* tree_sitter_c();
const TSLanguage* tree_sitter_cpp();
const TSLanguage* tree_sitter_python();
const TSLanguage* tree_sitter_javascript();
const TSLanguage* tree_sitter_typescript();
const TSLanguage* tree_sitter_tsx();
const TSLanguage* tree_sitter_go();
const TSLanguage* tree_sitter_rust();
const TSLanguage* tree_sitter_java();
const TSLanguage* tree_sitter_bash();
const TSLanguage* tree_sitter_markdown();
}

namespace tether {
namespace code {
namespace {

// C and C++ share their declarations: a top-level or member declaration
// names a function (a prototype) or a variable through its declarator chain.
#define TETHER_C_FAMILY_QUERY                                              \
  "(function_definition) @definition.declarator\n"                         \
  "(type_definition) @definition.declarator\n"                             \
  "(translation_unit (declaration) @definition.declarator)\n"              \
  "(preproc_if (declaration) @definition.declarator)\n"                    \
  "(preproc_ifdef (declaration) @definition.declarator)\n"                 \
  "(preproc_else (declaration) @definition.declarator)\n"                  \
  "(preproc_elif (declaration) @definition.declarator)\n"                  \
  "(field_declaration_list (field_declaration) @definition.declarator)\n"  \
  "(struct_specifier name: (_) @name body: (_)) @definition.struct\n"      \
  "(union_specifier name: (_) @name body: (_)) @definition.union\n"        \
  "(enum_specifier name: (_) @name body: (_)) @definition.enum\n"          \
  "(enumerator name: (_) @name) @definition.constant\n"                    \
  "(preproc_def name: (_) @name) @definition.macro\n"                      \
  "(preproc_function_def name: (_) @name) @definition.macro\n"             \
  "(preproc_include path: (_) @import)\n"

constexpr char kCQuery[] = TETHER_C_FAMILY_QUERY;

constexpr char kCppQuery[] = TETHER_C_FAMILY_QUERY
    "(declaration_list (declaration) @definition.declarator)\n"
    "(template_declaration (declaration) @definition.declarator)\n"
    "(field_declaration_list (declaration) @definition.declarator)\n"
    "(class_specifier name: (_) @name body: (_)) @definition.class\n"
    "(namespace_definition name: (_) @name) @definition.namespace\n"
    "(alias_declaration name: (_) @name) @definition.type\n"
    "(concept_definition name: (_) @name) @definition.type\n";

constexpr char kPythonQuery[] = R"(
(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class
(module (expression_statement (assignment left: (identifier) @name)) @definition.variable)
(class_definition body: (block (expression_statement (assignment left: (identifier) @name)) @definition.field))
(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import))
(import_from_statement module_name: (_) @import)
(future_import_statement "__future__" @import)
)";

// What JavaScript and TypeScript share (node names both grammars have).
#define TETHER_JS_FAMILY_QUERY                                                                 \
  "(function_declaration name: (_) @name) @definition.function\n"                              \
  "(generator_function_declaration name: (_) @name) @definition.function\n"                    \
  "(class_declaration name: (_) @name) @definition.class\n"                                    \
  "(method_definition name: (_) @name) @definition.method\n"                                   \
  "(program (lexical_declaration (variable_declarator name: (identifier) @name"                \
  "   value: [(arrow_function) (function_expression) (generator_function)])) @definition.function)\n" \
  "(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name" \
  "   value: [(arrow_function) (function_expression) (generator_function)])) @definition.function))\n" \
  "(program (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable)\n" \
  "(program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable))\n" \
  "(program (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable)\n" \
  "(program (export_statement (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable))\n" \
  "(import_statement source: (string) @import)\n"                                              \
  "(export_statement source: (string) @import)\n"                                              \
  "(call_expression function: (identifier) @import.call arguments: (arguments . (string) @import))\n" \
  "(call_expression function: (import) arguments: (arguments . (string) @import))\n"

constexpr char kJavaScriptQuery[] = TETHER_JS_FAMILY_QUERY
    "(field_definition property: (_) @name) @definition.field\n";

constexpr char kTypeScriptQuery[] = TETHER_JS_FAMILY_QUERY
    "(abstract_class_declaration name: (_) @name) @definition.class\n"
    "(interface_declaration name: (_) @name) @definition.interface\n"
    "(type_alias_declaration name: (_) @name) @definition.type\n"
    "(enum_declaration name: (_) @name) @definition.enum\n"
    "(enum_body name: (_) @name @definition.constant)\n"
    "(enum_assignment name: (_) @name) @definition.constant\n"
    "(function_signature name: (_) @name) @definition.function\n"
    "(method_signature name: (_) @name) @definition.method\n"
    "(abstract_method_signature name: (_) @name) @definition.method\n"
    "(property_signature name: (_) @name) @definition.field\n"
    "(public_field_definition name: (_) @name) @definition.field\n"
    "(internal_module name: (_) @name) @definition.module\n"
    "(module name: (_) @name) @definition.module\n";

constexpr char kGoQuery[] = R"(
(package_clause (package_identifier) @name) @definition.package
(function_declaration name: (identifier) @name) @definition.function
(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [(type_identifier) @parent
             (pointer_type (type_identifier) @parent)
             (generic_type type: (type_identifier) @parent)
             (pointer_type (generic_type type: (type_identifier) @parent))]))
  name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))
(field_declaration_list (field_declaration name: (field_identifier) @name) @definition.field)
(interface_type (method_elem name: (field_identifier) @name) @definition.method)
(import_spec path: (_) @import)
)";

constexpr char kRustQuery[] = R"(
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.union
(enum_item name: (type_identifier) @name) @definition.enum
(enum_variant name: (identifier) @name) @definition.constant
(trait_item name: (type_identifier) @name) @definition.trait
(type_item name: (type_identifier) @name) @definition.type
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
(field_declaration_list (field_declaration name: (field_identifier) @name) @definition.field)
(impl_item type: [(type_identifier) @scope.name
                  (generic_type type: (type_identifier) @scope.name)
                  (scoped_type_identifier name: (type_identifier) @scope.name)]) @scope
(use_declaration argument: (_) @import)
(extern_crate_declaration name: (identifier) @import)
)";

constexpr char kJavaQuery[] = R"(
(package_declaration [(identifier) (scoped_identifier)] @name) @definition.package
(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(enum_constant name: (identifier) @name) @definition.constant
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.constructor
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(import_declaration) @import
)";

constexpr char kBashQuery[] = R"(
(function_definition name: (word) @name) @definition.function
(program (variable_assignment name: (variable_name) @name) @definition.variable)
(program (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)
(command name: (command_name) @import.call . argument: (_) @import)
)";

// Markdown headings are captured as facts (Compile adds the patterns) and
// nested by their levels, not the tree's sections; no definition patterns.
constexpr char kMarkdownQuery[] = "";

const LanguageSpec kSpecs[] = {
    {"c", tree_sitter_c, kCQuery, {"comment"},
     {"compound_statement", "field_declaration_list", "enumerator_list"},
     {}, {}, {}, {}, false},
    {"cpp", tree_sitter_cpp, kCppQuery, {"comment"},
     {"compound_statement", "field_declaration_list", "enumerator_list", "declaration_list"},
     {"template_declaration"}, {"template_declaration"}, {}, {}, false},
    {"python", tree_sitter_python, kPythonQuery, {"comment"}, {"block"},
     {"decorated_definition"}, {}, {}, {}, false},
    {"javascript", tree_sitter_javascript, kJavaScriptQuery, {"comment"},
     {"statement_block", "class_body"}, {"export_statement"}, {}, {}, {"require"}, false},
    {"typescript", tree_sitter_typescript, kTypeScriptQuery, {"comment"},
     {"statement_block", "class_body", "interface_body", "object_type", "enum_body"},
     {"export_statement", "ambient_declaration"}, {"ambient_declaration"}, {}, {"require"}, false},
    {"tsx", tree_sitter_tsx, kTypeScriptQuery, {"comment"},
     {"statement_block", "class_body", "interface_body", "object_type", "enum_body"},
     {"export_statement", "ambient_declaration"}, {"ambient_declaration"}, {}, {"require"}, false},
    {"go", tree_sitter_go, kGoQuery, {"comment"},
     {"block", "field_declaration_list", "{"},
     {"type_declaration", "const_declaration", "var_declaration"},
     {"type_declaration", "const_declaration", "var_declaration"}, {}, {}, true},
    {"rust", tree_sitter_rust, kRustQuery, {"line_comment", "block_comment"},
     {"block", "declaration_list", "field_declaration_list", "enum_variant_list"},
     {}, {}, {"attribute_item"}, {}, false},
    {"java", tree_sitter_java, kJavaQuery, {"line_comment", "block_comment"},
     {"class_body", "block", "interface_body", "enum_body", "constructor_body",
      "annotation_type_body"},
     {}, {}, {}, {}, false},
    {"bash", tree_sitter_bash, kBashQuery, {"comment"},
     {"compound_statement", "subshell"}, {}, {}, {}, {"source", "."}, false},
    {"markdown", tree_sitter_markdown, kMarkdownQuery, {}, {}, {}, {}, {}, {}, false},
};

const char* QueryErrorName(TSQueryError error) {
  switch (error) {
    case TSQueryErrorSyntax: return "syntax error";
    case TSQueryErrorNodeType: return "unknown node type";
    case TSQueryErrorField: return "unknown field";
    case TSQueryErrorCapture: return "unknown capture";
    case TSQueryErrorStructure: return "impossible pattern";
    case TSQueryErrorLanguage: return "incompatible grammar";
    default: return "error";
  }
}

}  // namespace

CompiledLanguage::CompiledLanguage(const LanguageSpec* spec, TSQuery* query)
    : spec_(spec), query_(query) {
  const uint32_t count = ts_query_capture_count(query);
  for (uint32_t id = 0; id < count; ++id) {
    uint32_t length = 0;
    const char* name = ts_query_capture_name_for_id(query, id, &length);
    const std::string_view capture(name, length);
    std::string kind;
    Role role = Role::kOther;
    if (capture.substr(0, 11) == "definition.") {
      role = Role::kDefinition;
      kind = std::string(capture.substr(11));
    } else if (capture == "name") {
      role = Role::kName;
    } else if (capture == "parent") {
      role = Role::kParent;
    } else if (capture == "scope") {
      role = Role::kScope;
    } else if (capture == "scope.name") {
      role = Role::kScopeName;
    } else if (capture == "import") {
      role = Role::kImport;
    } else if (capture == "import.call") {
      role = Role::kImportCall;
    } else if (capture == "fact.comment") {
      role = Role::kComment;
    } else if (capture == "fact.attribute") {
      role = Role::kAttribute;
    } else if (capture == "fact.wrapper") {
      role = Role::kWrapper;
    } else if (capture == "fact.heading") {
      role = Role::kHeading;
    }
    roles_.push_back(role);
    kinds_.push_back(std::move(kind));
  }
}

CompiledLanguage::~CompiledLanguage() { ts_query_delete(query_); }

bool CompiledLanguage::IsComment(std::string_view type) const {
  return std::find(spec_->comment_types.begin(), spec_->comment_types.end(), type) !=
         spec_->comment_types.end();
}

const LanguageSpec* FindGrammar(std::string_view grammar) {
  for (const LanguageSpec& spec : kSpecs) {
    if (grammar == spec.grammar) return &spec;
  }
  return nullptr;
}

std::vector<std::string> GrammarNames() {
  std::vector<std::string> names;
  for (const LanguageSpec& spec : kSpecs) names.emplace_back(spec.grammar);
  return names;
}

Result<std::unique_ptr<CompiledLanguage>> Compile(const LanguageSpec* spec) {
  const TSLanguage* language = spec->language();
  const uint32_t abi = ts_language_version(language);
  if (abi < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION || abi > TREE_SITTER_LANGUAGE_VERSION) {
    return Status::InvalidArgument(std::string("grammar ") + spec->grammar + " has LANGUAGE_VERSION " +
                                   std::to_string(abi) + ", which this tree-sitter runtime cannot load");
  }
  uint32_t error_offset = 0;
  TSQueryError error = TSQueryErrorNone;
  std::string full = spec->query;
  full += '\n';
  auto facts = [&full](const std::vector<std::string_view>& types, const char* capture) {
    for (std::string_view type : types) {
      full += '(';
      full += type;
      full += ") @";
      full += capture;
      full += '\n';
    }
  };
  facts(spec->comment_types, "fact.comment");
  facts(spec->attribute_types, "fact.attribute");
  facts(spec->wrapper_types, "fact.wrapper");
  if (std::string_view(spec->grammar) == "markdown") facts({"atx_heading", "setext_heading"}, "fact.heading");
  const std::string_view text(full);
  TSQuery* query = ts_query_new(language, text.data(), static_cast<uint32_t>(text.size()),
                                &error_offset, &error);
  if (query == nullptr) {
    return Status::InvalidArgument(std::string("the code analyzer's query for ") + spec->grammar +
                                   " does not compile: " + QueryErrorName(error) + " at offset " +
                                   std::to_string(error_offset) + " (\"" +
                                   std::string(text.substr(error_offset, 40)) + "\")");
  }
  return std::make_unique<CompiledLanguage>(spec, query);
}

}  // namespace code
}  // namespace tether
