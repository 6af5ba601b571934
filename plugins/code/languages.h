// The languages the code analyzer parses: for each, its tree-sitter grammar,
// the patterns that find its symbols and imports, and the node types the
// extraction needs (comments, bodies, wrappers).
//
// A pattern is a tree of steps, each the subset of a tree-sitter query's
// syntax the analyzer needs, written as data (languages.cc shows each as the
// query it stands for): a node type or any named node, a field, an anchor,
// children, alternatives, and captures:
//   definition <kind>    the node a symbol spans; <kind> is the symbol's kind,
//                        "declarator" for C and C++ declarations whose name
//                        and kind come from their declarator chain
//   name                 the symbol's name
//   parent               the enclosing type named in the definition itself
//                        (a Go receiver); overrides the enclosing symbol
//   scope, scope name    a container that is no symbol but names the parent
//                        of what it holds (a Rust impl block)
//   import               an import as written (quotes dropped)
//   import call          with import: the callee, which must be one of the
//                        language's import_callees (require, source)
// The extraction matches them in one walk over the tree, as tree-sitter's
// query cursor would match the same query (the same matches, in the same
// order), without the cursor's general machinery.
//
// Thread safety: the table is immutable; CompiledLanguage objects are built
// once (by CodeAnalyzer's factory) and only read afterwards.
#ifndef TETHER_PLUGINS_CODE_LANGUAGES_H_
#define TETHER_PLUGINS_CODE_LANGUAGES_H_

#include <tree_sitter/api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace code {

// What a step of a pattern captures.
enum class Capture : uint8_t { kDefinition, kName, kParent, kScope, kScopeName, kImport, kImportCall };

// One step of a pattern, by names (languages.cc builds them).
struct PatternStep {
  std::string_view type;              // "" with named: any named node but ERROR, "(_)"
  bool named = true;                  // false: an anonymous node, "\"__future__\""
  std::string_view field;             // "": in any field or none
  bool anchored = false;              // ". (x)": the first named node after the step before
  std::vector<Capture> captures;
  std::string_view kind;              // of a kDefinition capture
  std::vector<PatternStep> children;  // in order, each a later child than the one before
  std::vector<PatternStep> alternatives;  // "[(a) (b)]": type, children, captures of one
};

struct LanguageSpec {
  const char* grammar;                 // "cpp", "tsx", ...: which parser
  const TSLanguage* (*language)();     // the grammar's entry point
  std::vector<PatternStep> patterns;   // symbols and imports, as above
  std::vector<std::string_view> comment_types;
  // Nodes that hold a definition's body: its signature ends where one starts.
  std::vector<std::string_view> body_types;
  // Nodes wrapping one definition whose doc comment comes before the
  // wrapper (decorators, template<...>, export, a single-spec Go group).
  std::vector<std::string_view> wrapper_types;
  // Of those, the ones whose text belongs in the signature (template<...>).
  std::vector<std::string_view> signature_wrapper_types;
  // Nodes skipped between a doc comment and its definition (Rust attributes).
  std::vector<std::string_view> attribute_types;
  std::vector<std::string_view> import_callees;
  // Whether a wrapper is a group (Go's const ( ... )): it wraps a
  // definition only when it holds that one alone.
  bool wrappers_are_groups;
};

// A step with its names resolved against the grammar.
struct CompiledStep {
  TSSymbol symbol = 0;                // 0 with named: any named node but ERROR
  TSFieldId field = 0;                // 0: any
  bool anchored = false;
  // Whether a later sibling may match this step too once one has (the
  // query cursor splits its state only for a step that captures something
  // or has children; any other takes the first node that fits).
  bool splits = false;
  std::vector<Capture> captures;
  std::string kind;
  std::vector<CompiledStep> children;
  std::vector<CompiledStep> alternatives;
};

// A grammar with its patterns resolved.
class CompiledLanguage {
 public:
  CompiledLanguage(const LanguageSpec* spec, std::vector<CompiledStep> patterns, std::vector<uint8_t> node_flags,
                   std::vector<std::vector<uint16_t>> patterns_by_root);

  const LanguageSpec& spec() const { return *spec_; }
  const TSLanguage* language() const { return spec_->language(); }
  bool IsComment(std::string_view type) const;

  // What a node of a symbol is to the extraction (bits).
  enum NodeFlag : uint8_t {
    kCommentNode = 1,
    kAttributeNode = 2,
    kWrapperNode = 4,
    kHeadingNode = 8,  // Markdown's atx_heading and setext_heading
    kPatternRoot = 16,  // the root of one or more patterns
  };
  uint8_t flags(TSSymbol symbol) const { return symbol < node_flags_.size() ? node_flags_[symbol] : 0; }
  // flags() of every symbol, by symbol.
  const std::vector<uint8_t>& node_flags() const { return node_flags_; }
  const std::vector<CompiledStep>& patterns() const { return patterns_; }
  // The indexes of the patterns whose root is a node of `symbol`, in order.
  const std::vector<uint16_t>& patterns_at(TSSymbol symbol) const { return patterns_by_root_[symbol]; }

 private:
  const LanguageSpec* spec_;
  std::vector<CompiledStep> patterns_;
  std::vector<uint8_t> node_flags_;
  std::vector<std::vector<uint16_t>> patterns_by_root_;
};

// The spec of a grammar by its name ("c", "cpp", "python", "javascript",
// "typescript", "tsx", "go", "rust", "java", "bash", "markdown"); nullptr
// for any other.
const LanguageSpec* FindGrammar(std::string_view grammar);

// Every grammar's name, in a fixed order.
std::vector<std::string> GrammarNames();

// Resolves `spec`'s patterns and its comment, attribute and wrapper types
// (and Markdown's headings) against its grammar. InvalidArgument naming the
// grammar and the name when the grammar's ABI is not one the runtime loads
// or a node type or field is not the grammar's.
Result<std::unique_ptr<CompiledLanguage>> Compile(const LanguageSpec* spec);

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_LANGUAGES_H_
