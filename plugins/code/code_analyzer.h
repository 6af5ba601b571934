// The code analyzer: per blob, the language (refined from the content where
// it tells: a shebang, a C header that is C++, TypeScript that is TSX),
// lines of code, comment and blank, imports as written, and symbols
// (functions, classes, methods, types, ...) with their lines, signature,
// parent and doc comment, for c, cpp, python, javascript, typescript, go,
// rust, java, shell and markdown (headings). Any other language gets line
// counts only. Parsing is tree-sitter's (languages.h says which grammars).
//
// Ownership: the host owns the object (a Plugin); the object owns the
// compiled grammars (patterns resolved against each grammar), each built
// once at its first use.
// Thread safety: Key and Analyze may be called from any number of threads
// at once: each Analyze call has its own parser, tree and tree cursors, and
// the compiled grammars are only read.
#ifndef TETHER_PLUGINS_CODE_CODE_ANALYZER_H_
#define TETHER_PLUGINS_CODE_CODE_ANALYZER_H_

#include <map>
#include <mutex>
#include <memory>
#include <string>

#include "languages.h"
#include "settings.h"
#include "tether/analyzer.h"

namespace tether {
namespace code {

// The plugin's version: part of every result's key. Change it whenever the
// output for the same input may change (a grammar, a pattern, a rule).
inline constexpr char kCodeAnalyzerVersion[] = "1.1.0";

// The most symbols one blob may have (the sink's own limit); past it the
// data says "symbols_truncated": true.
inline constexpr size_t kMaxSymbols = 100000;

class CodeAnalyzer : public Analyzer {
 public:
  // InvalidArgument for bad settings. A grammar's patterns are resolved at
  // its first use (so that a process that analyses nothing, a noop sync,
  // does not pay for it).
  static Result<std::unique_ptr<CodeAnalyzer>> Create(const std::string& plugin_name,
                                                      const std::string& settings_json);

  AnalyzerKey Key() const override;
  Status Analyze(const AnalysisInput& input, AnalysisSink* sink) override;

 private:
  // A grammar, compiled once at its first use, by whichever thread gets
  // there first (the others wait).
  struct LazyGrammar {
    std::once_flag once;
    std::unique_ptr<CompiledLanguage> compiled;
    Status error;
  };

  explicit CodeAnalyzer(CodeSettings settings) : settings_(settings) {}
  // The compiled grammar `name`: NotFound for a name without a grammar;
  // InvalidArgument when it does not compile (the runtime cannot load its
  // ABI, or a pattern names a node type or field the grammar lacks).
  Result<const CompiledLanguage*> Grammar(const std::string& name) const;

  CodeSettings settings_;
  // Every grammar by name, filled by Create; the map never changes after.
  std::map<std::string, std::unique_ptr<LazyGrammar>> grammars_;
};

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_CODE_ANALYZER_H_
