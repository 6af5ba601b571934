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

// Pattern builders: each reads as the query syntax it stands for.
PatternStep Node(std::string_view type, std::vector<PatternStep> children = {}) {  // (type children...)
  PatternStep step;
  step.type = type;
  step.children = std::move(children);
  return step;
}
PatternStep Any(std::vector<PatternStep> children = {}) { return Node("", std::move(children)); }  // (_)
PatternStep Token(std::string_view type) {  // "type"
  PatternStep step;
  step.type = type;
  step.named = false;
  return step;
}
PatternStep OneOf(std::vector<PatternStep> alternatives) {  // [a b ...]
  PatternStep step;
  step.alternatives = std::move(alternatives);
  return step;
}
PatternStep Field(std::string_view field, PatternStep step) {  // field: step
  step.field = field;
  return step;
}
PatternStep Anchored(PatternStep step) {  // . step
  step.anchored = true;
  return step;
}
PatternStep With(Capture capture, PatternStep step) {
  step.captures.push_back(capture);
  return step;
}
PatternStep Def(std::string_view kind, PatternStep step) {  // step @definition.kind
  step.kind = kind;
  return With(Capture::kDefinition, std::move(step));
}
PatternStep Name(PatternStep step) { return With(Capture::kName, std::move(step)); }  // step @name
PatternStep Import(PatternStep step) { return With(Capture::kImport, std::move(step)); }  // step @import

// (type name: (_) @name) @definition.kind, the commonest pattern.
PatternStep Named(std::string_view kind, std::string_view type, PatternStep name = Any()) {
  return Def(kind, Node(type, {Field("name", Name(std::move(name)))}));
}

std::vector<PatternStep> Concat(std::vector<PatternStep> a, std::vector<PatternStep> b) {
  for (PatternStep& step : b) a.push_back(std::move(step));
  return a;
}

// C and C++ share their declarations: a top-level or member declaration
// names a function (a prototype) or a variable through its declarator chain.
//   (function_definition) @definition.declarator
//   (type_definition) @definition.declarator
//   (translation_unit (declaration) @definition.declarator)
//   (preproc_if (declaration) @definition.declarator)
//   (preproc_ifdef (declaration) @definition.declarator)
//   (preproc_else (declaration) @definition.declarator)
//   (preproc_elif (declaration) @definition.declarator)
//   (field_declaration_list (field_declaration) @definition.declarator)
//   (struct_specifier name: (_) @name body: (_)) @definition.struct
//   (union_specifier name: (_) @name body: (_)) @definition.union
//   (enum_specifier name: (_) @name body: (_)) @definition.enum
//   (enumerator name: (_) @name) @definition.constant
//   (preproc_def name: (_) @name) @definition.macro
//   (preproc_function_def name: (_) @name) @definition.macro
//   (preproc_include path: (_) @import)
PatternStep Holds(std::string_view container, std::string_view kind, PatternStep held) {  // (container held)
  return Node(container, {Def(kind, std::move(held))});
}
PatternStep NamedWithBody(std::string_view kind, std::string_view type) {
  return Def(kind, Node(type, {Field("name", Name(Any())), Field("body", Any())}));
}
std::vector<PatternStep> CFamily() {
  return {
      Def("declarator", Node("function_definition")),
      Def("declarator", Node("type_definition")),
      Holds("translation_unit", "declarator", Node("declaration")),
      Holds("preproc_if", "declarator", Node("declaration")),
      Holds("preproc_ifdef", "declarator", Node("declaration")),
      Holds("preproc_else", "declarator", Node("declaration")),
      Holds("preproc_elif", "declarator", Node("declaration")),
      Holds("field_declaration_list", "declarator", Node("field_declaration")),
      NamedWithBody("struct", "struct_specifier"),
      NamedWithBody("union", "union_specifier"),
      NamedWithBody("enum", "enum_specifier"),
      Named("constant", "enumerator"),
      Named("macro", "preproc_def"),
      Named("macro", "preproc_function_def"),
      Node("preproc_include", {Field("path", Import(Any()))}),
  };
}

//   (declaration_list (declaration) @definition.declarator)
//   (template_declaration (declaration) @definition.declarator)
//   (field_declaration_list (declaration) @definition.declarator)
//   (class_specifier name: (_) @name body: (_)) @definition.class
//   (namespace_definition name: (_) @name) @definition.namespace
//   (alias_declaration name: (_) @name) @definition.type
//   (concept_definition name: (_) @name) @definition.type
std::vector<PatternStep> CppPatterns() {
  return Concat(CFamily(), {
                               Holds("declaration_list", "declarator", Node("declaration")),
                               Holds("template_declaration", "declarator", Node("declaration")),
                               Holds("field_declaration_list", "declarator", Node("declaration")),
                               NamedWithBody("class", "class_specifier"),
                               Named("namespace", "namespace_definition"),
                               Named("type", "alias_declaration"),
                               Named("type", "concept_definition"),
                           });
}

//   (function_definition name: (identifier) @name) @definition.function
//   (class_definition name: (identifier) @name) @definition.class
//   (module (expression_statement (assignment left: (identifier) @name)) @definition.variable)
//   (class_definition body: (block (expression_statement (assignment left: (identifier) @name)) @definition.field))
//   (import_statement name: (dotted_name) @import)
//   (import_statement name: (aliased_import name: (dotted_name) @import))
//   (import_from_statement module_name: (_) @import)
//   (future_import_statement "__future__" @import)
std::vector<PatternStep> PythonPatterns() {
  auto assignment = [] {
    return Node("expression_statement", {Node("assignment", {Field("left", Name(Node("identifier")))})});
  };
  return {
      Named("function", "function_definition", Node("identifier")),
      Named("class", "class_definition", Node("identifier")),
      Holds("module", "variable", assignment()),
      Node("class_definition", {Field("body", Holds("block", "field", assignment()))}),
      Node("import_statement", {Field("name", Import(Node("dotted_name")))}),
      Node("import_statement", {Field("name", Node("aliased_import", {Field("name", Import(Node("dotted_name")))}))}),
      Node("import_from_statement", {Field("module_name", Import(Any()))}),
      Node("future_import_statement", {Import(Token("__future__"))}),
  };
}

// What JavaScript and TypeScript share (node names both grammars have).
//   (function_declaration name: (_) @name) @definition.function
//   (generator_function_declaration name: (_) @name) @definition.function
//   (class_declaration name: (_) @name) @definition.class
//   (method_definition name: (_) @name) @definition.method
//   (program (lexical_declaration (variable_declarator name: (identifier) @name
//      value: [(arrow_function) (function_expression) (generator_function)])) @definition.function)
//   (program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name
//      value: [(arrow_function) (function_expression) (generator_function)])) @definition.function))
//   (program (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
//   (program (export_statement (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable))
//   (program (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
//   (program (export_statement (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable))
//   (import_statement source: (string) @import)
//   (export_statement source: (string) @import)
//   (call_expression function: (identifier) @import.call arguments: (arguments . (string) @import))
//   (call_expression function: (import) arguments: (arguments . (string) @import))
std::vector<PatternStep> JsFamily() {
  auto declaration = [](std::string_view type, std::string_view kind, bool function) {
    std::vector<PatternStep> declarator{Field("name", Name(Node("identifier")))};
    if (function) {
      declarator.push_back(Field("value", OneOf({Node("arrow_function"), Node("function_expression"),
                                                  Node("generator_function")})));
    }
    return Def(kind, Node(type, {Node("variable_declarator", std::move(declarator))}));
  };
  auto top = [](PatternStep held) { return Node("program", {std::move(held)}); };
  auto exported = [](PatternStep held) { return Node("program", {Node("export_statement", {std::move(held)})}); };
  return {
      Named("function", "function_declaration"),
      Named("function", "generator_function_declaration"),
      Named("class", "class_declaration"),
      Named("method", "method_definition"),
      top(declaration("lexical_declaration", "function", true)),
      exported(declaration("lexical_declaration", "function", true)),
      top(declaration("lexical_declaration", "variable", false)),
      exported(declaration("lexical_declaration", "variable", false)),
      top(declaration("variable_declaration", "variable", false)),
      exported(declaration("variable_declaration", "variable", false)),
      Node("import_statement", {Field("source", Import(Node("string")))}),
      Node("export_statement", {Field("source", Import(Node("string")))}),
      Node("call_expression", {Field("function", With(Capture::kImportCall, Node("identifier"))),
                               Field("arguments", Node("arguments", {Anchored(Import(Node("string")))}))}),
      Node("call_expression", {Field("function", Node("import")),
                               Field("arguments", Node("arguments", {Anchored(Import(Node("string")))}))}),
  };
}

//   (field_definition property: (_) @name) @definition.field
std::vector<PatternStep> JavaScriptPatterns() {
  return Concat(JsFamily(), {Def("field", Node("field_definition", {Field("property", Name(Any()))}))});
}

//   (abstract_class_declaration name: (_) @name) @definition.class
//   (interface_declaration name: (_) @name) @definition.interface
//   (type_alias_declaration name: (_) @name) @definition.type
//   (enum_declaration name: (_) @name) @definition.enum
//   (enum_body name: (_) @name @definition.constant)
//   (enum_assignment name: (_) @name) @definition.constant
//   (function_signature name: (_) @name) @definition.function
//   (method_signature name: (_) @name) @definition.method
//   (abstract_method_signature name: (_) @name) @definition.method
//   (property_signature name: (_) @name) @definition.field
//   (public_field_definition name: (_) @name) @definition.field
//   (internal_module name: (_) @name) @definition.module
//   (module name: (_) @name) @definition.module
std::vector<PatternStep> TypeScriptPatterns() {
  return Concat(JsFamily(), {
                                Named("class", "abstract_class_declaration"),
                                Named("interface", "interface_declaration"),
                                Named("type", "type_alias_declaration"),
                                Named("enum", "enum_declaration"),
                                Node("enum_body", {Field("name", Def("constant", Name(Any())))}),
                                Named("constant", "enum_assignment"),
                                Named("function", "function_signature"),
                                Named("method", "method_signature"),
                                Named("method", "abstract_method_signature"),
                                Named("field", "property_signature"),
                                Named("field", "public_field_definition"),
                                Named("module", "internal_module"),
                                Named("module", "module"),
                            });
}

//   (package_clause (package_identifier) @name) @definition.package
//   (function_declaration name: (identifier) @name) @definition.function
//   (method_declaration
//     receiver: (parameter_list
//       (parameter_declaration
//         type: [(type_identifier) @parent
//                (pointer_type (type_identifier) @parent)
//                (generic_type type: (type_identifier) @parent)
//                (pointer_type (generic_type type: (type_identifier) @parent))]))
//     name: (field_identifier) @name) @definition.method
//   (type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
//   (type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
//   (type_spec name: (type_identifier) @name) @definition.type
//   (type_alias name: (type_identifier) @name) @definition.type
//   (source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
//   (source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))
//   (field_declaration_list (field_declaration name: (field_identifier) @name) @definition.field)
//   (interface_type (method_elem name: (field_identifier) @name) @definition.method)
//   (import_spec path: (_) @import)
std::vector<PatternStep> GoPatterns() {
  auto parent = [](PatternStep step) { return With(Capture::kParent, std::move(step)); };
  auto generic = [&parent] { return Node("generic_type", {Field("type", parent(Node("type_identifier")))}); };
  PatternStep receiver = Node(
      "parameter_list",
      {Node("parameter_declaration",
            {Field("type", OneOf({parent(Node("type_identifier")), Node("pointer_type", {parent(Node("type_identifier"))}),
                                  generic(), Node("pointer_type", {generic()})}))})});
  auto spec = [](std::string_view group, std::string_view type, std::string_view kind) {
    return Node("source_file", {Node(group, {Def(kind, Node(type, {Field("name", Name(Node("identifier")))}))})});
  };
  return {
      Def("package", Node("package_clause", {Name(Node("package_identifier"))})),
      Named("function", "function_declaration", Node("identifier")),
      Def("method", Node("method_declaration", {Field("receiver", std::move(receiver)),
                                                Field("name", Name(Node("field_identifier")))})),
      Def("struct", Node("type_spec", {Field("name", Name(Node("type_identifier"))), Field("type", Node("struct_type"))})),
      Def("interface",
          Node("type_spec", {Field("name", Name(Node("type_identifier"))), Field("type", Node("interface_type"))})),
      Named("type", "type_spec", Node("type_identifier")),
      Named("type", "type_alias", Node("type_identifier")),
      spec("const_declaration", "const_spec", "constant"),
      spec("var_declaration", "var_spec", "variable"),
      Holds("field_declaration_list", "field", Node("field_declaration", {Field("name", Name(Node("field_identifier")))})),
      Holds("interface_type", "method", Node("method_elem", {Field("name", Name(Node("field_identifier")))})),
      Node("import_spec", {Field("path", Import(Any()))}),
  };
}

//   (function_item name: (identifier) @name) @definition.function
//   (function_signature_item name: (identifier) @name) @definition.function
//   (struct_item name: (type_identifier) @name) @definition.struct
//   (union_item name: (type_identifier) @name) @definition.union
//   (enum_item name: (type_identifier) @name) @definition.enum
//   (enum_variant name: (identifier) @name) @definition.constant
//   (trait_item name: (type_identifier) @name) @definition.trait
//   (type_item name: (type_identifier) @name) @definition.type
//   (const_item name: (identifier) @name) @definition.constant
//   (static_item name: (identifier) @name) @definition.variable
//   (mod_item name: (identifier) @name) @definition.module
//   (macro_definition name: (identifier) @name) @definition.macro
//   (field_declaration_list (field_declaration name: (field_identifier) @name) @definition.field)
//   (impl_item type: [(type_identifier) @scope.name
//                     (generic_type type: (type_identifier) @scope.name)
//                     (scoped_type_identifier name: (type_identifier) @scope.name)]) @scope
//   (use_declaration argument: (_) @import)
//   (extern_crate_declaration name: (identifier) @import)
std::vector<PatternStep> RustPatterns() {
  auto scope_name = [] { return With(Capture::kScopeName, Node("type_identifier")); };
  return {
      Named("function", "function_item", Node("identifier")),
      Named("function", "function_signature_item", Node("identifier")),
      Named("struct", "struct_item", Node("type_identifier")),
      Named("union", "union_item", Node("type_identifier")),
      Named("enum", "enum_item", Node("type_identifier")),
      Named("constant", "enum_variant", Node("identifier")),
      Named("trait", "trait_item", Node("type_identifier")),
      Named("type", "type_item", Node("type_identifier")),
      Named("constant", "const_item", Node("identifier")),
      Named("variable", "static_item", Node("identifier")),
      Named("module", "mod_item", Node("identifier")),
      Named("macro", "macro_definition", Node("identifier")),
      Holds("field_declaration_list", "field", Node("field_declaration", {Field("name", Name(Node("field_identifier")))})),
      With(Capture::kScope,
           Node("impl_item", {Field("type", OneOf({scope_name(), Node("generic_type", {Field("type", scope_name())}),
                                                   Node("scoped_type_identifier", {Field("name", scope_name())})}))})),
      Node("use_declaration", {Field("argument", Import(Any()))}),
      Node("extern_crate_declaration", {Field("name", Import(Node("identifier")))}),
  };
}

//   (package_declaration [(identifier) (scoped_identifier)] @name) @definition.package
//   (class_declaration name: (identifier) @name) @definition.class
//   (record_declaration name: (identifier) @name) @definition.class
//   (interface_declaration name: (identifier) @name) @definition.interface
//   (annotation_type_declaration name: (identifier) @name) @definition.interface
//   (enum_declaration name: (identifier) @name) @definition.enum
//   (enum_constant name: (identifier) @name) @definition.constant
//   (method_declaration name: (identifier) @name) @definition.method
//   (constructor_declaration name: (identifier) @name) @definition.constructor
//   (field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
//   (constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
//   (import_declaration) @import
std::vector<PatternStep> JavaPatterns() {
  auto declarators = [](std::string_view kind, std::string_view type) {
    return Def(kind, Node(type, {Field("declarator", Node("variable_declarator",
                                                          {Field("name", Name(Node("identifier")))}))}));
  };
  return {
      Def("package", Node("package_declaration", {Name(OneOf({Node("identifier"), Node("scoped_identifier")}))})),
      Named("class", "class_declaration", Node("identifier")),
      Named("class", "record_declaration", Node("identifier")),
      Named("interface", "interface_declaration", Node("identifier")),
      Named("interface", "annotation_type_declaration", Node("identifier")),
      Named("enum", "enum_declaration", Node("identifier")),
      Named("constant", "enum_constant", Node("identifier")),
      Named("method", "method_declaration", Node("identifier")),
      Named("constructor", "constructor_declaration", Node("identifier")),
      declarators("field", "field_declaration"),
      declarators("constant", "constant_declaration"),
      Import(Node("import_declaration")),
  };
}

//   (function_definition name: (word) @name) @definition.function
//   (program (variable_assignment name: (variable_name) @name) @definition.variable)
//   (program (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)
//   (command name: (command_name) @import.call . argument: (_) @import)
std::vector<PatternStep> BashPatterns() {
  auto assignment = [] { return Node("variable_assignment", {Field("name", Name(Node("variable_name")))}); };
  return {
      Named("function", "function_definition", Node("word")),
      Holds("program", "variable", assignment()),
      Holds("program", "variable", Node("declaration_command", {assignment()})),
      Node("command", {Field("name", With(Capture::kImportCall, Node("command_name"))),
                       Anchored(Field("argument", Import(Any())))}),
  };
}

const LanguageSpec kSpecs[] = {
    {"c", tree_sitter_c, CFamily(), {"comment"},
     {"compound_statement", "field_declaration_list", "enumerator_list"},
     {}, {}, {}, {}, false},
    {"cpp", tree_sitter_cpp, CppPatterns(), {"comment"},
     {"compound_statement", "field_declaration_list", "enumerator_list", "declaration_list"},
     {"template_declaration"}, {"template_declaration"}, {}, {}, false},
    {"python", tree_sitter_python, PythonPatterns(), {"comment"}, {"block"},
     {"decorated_definition"}, {}, {}, {}, false},
    {"javascript", tree_sitter_javascript, JavaScriptPatterns(), {"comment"},
     {"statement_block", "class_body"}, {"export_statement"}, {}, {}, {"require"}, false},
    {"typescript", tree_sitter_typescript, TypeScriptPatterns(), {"comment"},
     {"statement_block", "class_body", "interface_body", "object_type", "enum_body"},
     {"export_statement", "ambient_declaration"}, {"ambient_declaration"}, {}, {"require"}, false},
    {"tsx", tree_sitter_tsx, TypeScriptPatterns(), {"comment"},
     {"statement_block", "class_body", "interface_body", "object_type", "enum_body"},
     {"export_statement", "ambient_declaration"}, {"ambient_declaration"}, {}, {"require"}, false},
    {"go", tree_sitter_go, GoPatterns(), {"comment"},
     {"block", "field_declaration_list", "{"},
     {"type_declaration", "const_declaration", "var_declaration"},
     {"type_declaration", "const_declaration", "var_declaration"}, {}, {}, true},
    {"rust", tree_sitter_rust, RustPatterns(), {"line_comment", "block_comment"},
     {"block", "declaration_list", "field_declaration_list", "enum_variant_list"},
     {}, {}, {"attribute_item"}, {}, false},
    {"java", tree_sitter_java, JavaPatterns(), {"line_comment", "block_comment"},
     {"class_body", "block", "interface_body", "enum_body", "constructor_body",
      "annotation_type_body"},
     {}, {}, {}, {}, false},
    {"bash", tree_sitter_bash, BashPatterns(), {"comment"},
     {"compound_statement", "subshell"}, {}, {}, {}, {"source", "."}, false},
    // Markdown headings are facts (kHeadingNode), nested by their levels, not
    // the tree's sections; no patterns.
    {"markdown", tree_sitter_markdown, {}, {}, {}, {}, {}, {}, {}, false},
};

// Resolves a step and its children against `language`; the first name the
// grammar does not have is the error.
Status CompileStep(const LanguageSpec& spec, const TSLanguage* language, const PatternStep& step, CompiledStep* out) {
  auto unknown = [&spec](const char* what, std::string_view name) {
    return Status::InvalidArgument(std::string("the code analyzer's patterns for ") + spec.grammar + " name " +
                                   what + " \"" + std::string(name) + "\", which the grammar does not have");
  };
  if (!step.type.empty()) {
    out->symbol = ts_language_symbol_for_name(language, step.type.data(), static_cast<uint32_t>(step.type.size()),
                                              step.named);
    if (out->symbol == 0) return unknown("node type", step.type);
  }
  if (!step.field.empty()) {
    out->field = ts_language_field_id_for_name(language, step.field.data(), static_cast<uint32_t>(step.field.size()));
    if (out->field == 0) return unknown("field", step.field);
  }
  out->anchored = step.anchored;
  out->captures = step.captures;
  out->kind = std::string(step.kind);
  for (const PatternStep& child : step.children) {
    out->children.emplace_back();
    TETHER_RETURN_IF_ERROR(CompileStep(spec, language, child, &out->children.back()));
  }
  for (const PatternStep& alternative : step.alternatives) {
    out->alternatives.emplace_back();
    TETHER_RETURN_IF_ERROR(CompileStep(spec, language, alternative, &out->alternatives.back()));
  }
  return Status::Ok();
}

// Whether a step or any step under it captures a node.
bool Captures(const CompiledStep& step) {
  if (!step.captures.empty()) return true;
  for (const CompiledStep& child : step.children) {
    if (Captures(child)) return true;
  }
  for (const CompiledStep& alternative : step.alternatives) {
    if (Captures(alternative)) return true;
  }
  return false;
}

void MarkSplits(CompiledStep* step) {
  bool children = !step->children.empty();
  for (const CompiledStep& alternative : step->alternatives) children = children || !alternative.children.empty();
  step->splits = children || Captures(*step);
  for (CompiledStep& child : step->children) MarkSplits(&child);
  for (CompiledStep& alternative : step->alternatives) {
    for (CompiledStep& child : alternative.children) MarkSplits(&child);
  }
}

}  // namespace

CompiledLanguage::CompiledLanguage(const LanguageSpec* spec, std::vector<CompiledStep> patterns,
                                   std::vector<uint8_t> node_flags, std::vector<std::vector<uint16_t>> patterns_by_root)
    : spec_(spec),
      patterns_(std::move(patterns)),
      node_flags_(std::move(node_flags)),
      patterns_by_root_(std::move(patterns_by_root)) {}

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
  const uint32_t symbol_count = ts_language_symbol_count(language);
  std::vector<uint8_t> flags(symbol_count, 0);
  auto mark = [&](const std::vector<std::string_view>& types, uint8_t flag) -> Status {
    for (std::string_view type : types) {
      const TSSymbol symbol =
          ts_language_symbol_for_name(language, type.data(), static_cast<uint32_t>(type.size()), true);
      if (symbol == 0 || symbol >= symbol_count) {
        return Status::InvalidArgument(std::string("the code analyzer's ") + spec->grammar + " node type \"" +
                                       std::string(type) + "\" is not the grammar's");
      }
      flags[symbol] |= flag;
    }
    return Status::Ok();
  };
  TETHER_RETURN_IF_ERROR(mark(spec->comment_types, CompiledLanguage::kCommentNode));
  TETHER_RETURN_IF_ERROR(mark(spec->attribute_types, CompiledLanguage::kAttributeNode));
  TETHER_RETURN_IF_ERROR(mark(spec->wrapper_types, CompiledLanguage::kWrapperNode));
  if (std::string_view(spec->grammar) == "markdown") {
    TETHER_RETURN_IF_ERROR(mark({"atx_heading", "setext_heading"}, CompiledLanguage::kHeadingNode));
  }
  std::vector<CompiledStep> patterns(spec->patterns.size());
  std::vector<std::vector<uint16_t>> by_root(symbol_count);
  for (size_t i = 0; i < spec->patterns.size(); ++i) {
    TETHER_RETURN_IF_ERROR(CompileStep(*spec, language, spec->patterns[i], &patterns[i]));
    MarkSplits(&patterns[i]);
    const TSSymbol root = patterns[i].symbol;
    if (root == 0 || root >= symbol_count || !patterns[i].alternatives.empty()) {
      return Status::InvalidArgument(std::string("the code analyzer's pattern ") + std::to_string(i) + " for " +
                                     spec->grammar + " has no node type at its root");
    }
    by_root[root].push_back(static_cast<uint16_t>(i));
    flags[root] |= CompiledLanguage::kPatternRoot;
  }
  return std::make_unique<CompiledLanguage>(spec, std::move(patterns), std::move(flags), std::move(by_root));
}

}  // namespace code
}  // namespace tether
