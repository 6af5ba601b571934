// The languages the code analyzer parses: for each, its tree-sitter grammar,
// the query that finds its symbols and imports, and the node types the
// extraction needs (comments, bodies, wrappers).
//
// Query captures (our own convention, close to the grammars' tags.scm):
//   @definition.<kind>   the node a symbol spans; <kind> is the symbol's kind,
//                        "declarator" for C and C++ declarations whose name
//                        and kind come from their declarator chain
//   @name                the symbol's name
//   @parent              the enclosing type named in the definition itself
//                        (a Go receiver); overrides the enclosing symbol
//   @scope, @scope.name  a container that is no symbol but names the parent
//                        of what it holds (a Rust impl block)
//   @import              an import as written (quotes dropped)
//   @import.call         with @import: the callee, which must be one of the
//                        language's import_callees (require, source)
// Predicates are not used: the C runtime does not run them.
//
// Thread safety: the table is immutable; CompiledLanguage objects are built
// once (by CodeAnalyzer's factory) and only read afterwards. A TSQuery may be
// shared by threads; each call makes its own TSQueryCursor.
#ifndef TETHER_PLUGINS_CODE_LANGUAGES_H_
#define TETHER_PLUGINS_CODE_LANGUAGES_H_

#include <tree_sitter/api.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace code {

struct LanguageSpec {
  const char* grammar;                 // "cpp", "tsx", ...: which parser
  const TSLanguage* (*language)();     // the grammar's entry point
  const char* query;                   // symbols and imports, as above
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

// A grammar with its query compiled. Owns the query.
class CompiledLanguage {
 public:
  CompiledLanguage(const LanguageSpec* spec, TSQuery* query);
  ~CompiledLanguage();
  CompiledLanguage(const CompiledLanguage&) = delete;
  CompiledLanguage& operator=(const CompiledLanguage&) = delete;

  const LanguageSpec& spec() const { return *spec_; }
  const TSLanguage* language() const { return spec_->language(); }
  const TSQuery* query() const { return query_; }
  bool IsComment(std::string_view type) const;

  // What each capture of the query means, by capture id.
  // kComment, kAttribute, kWrapper and kHeading capture the nodes of the
  // spec's comment, attribute and wrapper types and Markdown's headings:
  // patterns Compile adds to the spec's own, so that one pass of the query
  // over the tree finds them with the definitions.
  enum class Role {
    kDefinition,
    kName,
    kParent,
    kScope,
    kScopeName,
    kImport,
    kImportCall,
    kComment,
    kAttribute,
    kWrapper,
    kHeading,
    kOther
  };
  Role role(uint32_t capture) const { return roles_[capture]; }
  // For kDefinition: the kind after "definition.".
  const std::string& kind(uint32_t capture) const { return kinds_[capture]; }

 private:
  const LanguageSpec* spec_;
  TSQuery* query_;
  std::vector<Role> roles_;
  std::vector<std::string> kinds_;
};

// The spec of a grammar by its name ("c", "cpp", "python", "javascript",
// "typescript", "tsx", "go", "rust", "java", "bash", "markdown"); nullptr
// for any other.
const LanguageSpec* FindGrammar(std::string_view grammar);

// Every grammar's name, in a fixed order.
std::vector<std::string> GrammarNames();

// Compiles `spec`'s query, with a pattern for each of its comment, attribute
// and wrapper types (and Markdown's headings), against its grammar. InvalidArgument naming the
// grammar, the offset and the error when the grammar's ABI is not one the
// runtime loads or the query does not compile.
Result<std::unique_ptr<CompiledLanguage>> Compile(const LanguageSpec* spec);

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_LANGUAGES_H_
